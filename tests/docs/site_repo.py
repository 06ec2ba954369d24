"""A git repository holding a contract at three tagged versions, for the versioned-site tests.

v1.0.0  (2025-01-10)  the first contract, with `deleteProduct` and an internal operation
v1.1.0  (2025-02-14)  `DELETE /products/{product_id}` removed: `operation-removed`
v1.2.0  (2025-03-20)  `OrderStatus` gains `refunded`, a response enum: `enum-value-added-response`
working copy          adds `GET /orders` (not tagged yet)
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

__all__ = [
    "CONTRACT",
    "DATES",
    "V1",
    "V1_1",
    "V1_2",
    "WORKING",
    "git",
    "make_repository",
    "tag",
]

CONTRACT = "api/openapi.yaml"
DATES = {"v1.0.0": "2025-01-10", "v1.1.0": "2025-02-14", "v1.2.0": "2025-03-20"}

V1 = textwrap.dedent(
    """\
    openapi: 3.1.0
    info:
      title: Corner Shop API
      version: 1.0.0
      description: What the corner shop's apps call.
    tags:
      - name: products
      - name: orders
    paths:
      /products:
        get:
          operationId: listProducts
          summary: List the products on sale
          tags: [products]
          responses:
            "200":
              description: Products.
              content:
                application/json:
                  schema:
                    type: array
                    items:
                      $ref: "#/components/schemas/Product"
      /products/{product_id}:
        parameters:
          - name: product_id
            in: path
            required: true
            schema: {type: integer}
        get:
          operationId: getProduct
          summary: Get one product
          tags: [products]
          responses:
            "200":
              description: The product.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/Product"
        delete:
          operationId: deleteProduct
          summary: Withdraw a product from sale
          tags: [products]
          responses:
            "204":
              description: Withdrawn.
      /orders/{order_id}:
        get:
          operationId: getOrder
          summary: Get one order
          tags: [orders]
          parameters:
            - name: order_id
              in: path
              required: true
              schema: {type: integer}
          responses:
            "200":
              description: The order.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/Order"
      /internal/reindex:
        post:
          operationId: reindexCatalogue
          summary: Rebuild the hidden search index
          x-internal-only: true
          tags: [products]
          responses:
            "202":
              description: Accepted.
    components:
      schemas:
        Product:
          type: object
          description: Something the shop sells.
          required: [id, name]
          properties:
            id: {type: integer}
            name: {type: string}
        Order:
          type: object
          description: An order placed by a customer.
          required: [id, status]
          properties:
            id: {type: integer}
            status:
              $ref: "#/components/schemas/OrderStatus"
        OrderStatus:
          type: string
          description: Where an order is in its life.
          enum: [pending_payment, paid]
    """
)

_DELETE = """\
    delete:
      operationId: deleteProduct
      summary: Withdraw a product from sale
      tags: [products]
      responses:
        "204":
          description: Withdrawn.
"""
_INTERNAL = """\
  /internal/reindex:
    post:
      operationId: reindexCatalogue
      summary: Rebuild the hidden search index
      x-internal-only: true
      tags: [products]
      responses:
        "202":
          description: Accepted.
"""
V1_1 = V1.replace(_DELETE, "").replace(_INTERNAL, "").replace("version: 1.0.0", "version: 1.1.0")
V1_2 = V1_1.replace("[pending_payment, paid]", "[pending_payment, paid, refunded]").replace(
    "version: 1.1.0", "version: 1.2.0"
)
WORKING = V1_2.replace(
    "  /orders/{order_id}:\n",
    textwrap.indent(
        textwrap.dedent(
            """\
            /orders:
              get:
                operationId: listOrders
                summary: List my orders
                tags: [orders]
                responses:
                  "200":
                    description: Orders.
                    content:
                      application/json:
                        schema:
                          type: array
                          items:
                            $ref: "#/components/schemas/Order"
            """
        ),
        "  ",
    )
    + "  /orders/{order_id}:\n",
)


def git(repository: Path, *args: str, date: str | None = None) -> str:
    """Run git in `repository` with a fixed identity and no user or system configuration.

    Every `GIT_*` variable of the caller is dropped: run from a hook or `git rebase --exec`,
    `GIT_DIR` would point these commands at the enclosing repository instead.
    """
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("GIT_")},
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Shop Team",
        "GIT_AUTHOR_EMAIL": "team@shop.example",
        "GIT_COMMITTER_NAME": "Shop Team",
        "GIT_COMMITTER_EMAIL": "team@shop.example",
    }
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00+00:00"
    result = subprocess.run(
        ["git", *args], cwd=repository, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def tag(repository: Path, name: str, text: str, *, date: str, path: str = CONTRACT) -> None:
    """Commit `text` as the contract and tag it (annotated), on `date`."""
    target = repository / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "--allow-empty", "-m", f"api: {name}", date=date)
    git(repository, "tag", "-a", name, "-m", f"release {name}", date=date)


def make_repository(root: Path) -> Path:
    """The repository above, with the working copy written; returns the contract's path."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    for name, text in (("v1.0.0", V1), ("v1.1.0", V1_1), ("v1.2.0", V1_2)):
        tag(root, name, text, date=DATES[name])
    contract = root / CONTRACT
    contract.write_text(WORKING, encoding="utf-8")
    return contract
