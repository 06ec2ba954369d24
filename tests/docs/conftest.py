from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shopgen.contract import Contract

from .chromium import Browser, find_chromium

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REDOC_JS = HERE / "node_modules" / "redoc" / "bundles" / "redoc.standalone.js"
ARTIFACTS = Path(os.environ.get("SHOPGEN_TEST_ARTIFACTS", REPO / "test-artifacts")) / "docs"


def missing(what: str, how: str) -> None:
    """Skip when a real part is absent on a workstation; in CI its absence is a failure."""
    message = f"{what} is missing: {how}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for the module's tests (a page at a time)."""
    executable = find_chromium()
    if executable is None:
        missing("Chromium", "install chromium or set SHOPGEN_CHROMIUM")
    assert executable is not None
    with Browser(executable) as running:
        yield running


@pytest.fixture(scope="session")
def redoc_js() -> Path:
    """The pinned `redoc@2.5.4` bundle, from `npm ci --prefix tests/docs` (or $SHOPGEN_REDOC_JS)."""
    configured = os.environ.get("SHOPGEN_REDOC_JS")
    path = Path(configured) if configured else REDOC_JS
    if not path.is_file():
        missing(f"redoc.standalone.js ({path})", "run `npm ci --prefix tests/docs`")
    return path


@dataclass
class FakeFinding:
    rule: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None


@dataclass
class FakeReport:
    errors: list[FakeFinding] = field(default_factory=list)


def clean_linter(contract: Contract) -> FakeReport:
    """A stand-in for lint that finds nothing, so unit tests do not depend on the house rules."""
    return FakeReport()


@pytest.fixture
def write_contract(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "openapi.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


SHOP = """\
openapi: 3.1.0
info:
  title: Corner Shop API
  version: 1.0.0
  description: The corner shop's public API.
tags:
  - name: products
  - name: coupons
  - name: admin
paths:
  /products:
    get:
      operationId: listProducts
      summary: List the products on sale
      tags: [products]
      responses:
        "200":
          description: A page of products.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/ProductPage"
  /coupons:
    get:
      operationId: listCoupons
      summary: List the active coupons
      tags: [coupons]
      responses:
        "200":
          description: Coupons.
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: "#/components/schemas/Coupon"
    post:
      operationId: createCouponBatch
      summary: Mint a batch of secret coupons
      x-internal-only: true
      tags: [coupons]
      requestBody:
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/CouponBatch"
      responses:
        "201":
          description: Created.
  /admin/reindex:
    x-internal-only: true
    post:
      operationId: reindexCatalogue
      summary: Rebuild the hidden search index
      tags: [admin]
      security:
        - staffToken: []
      responses:
        "202":
          description: Accepted.
components:
  securitySchemes:
    staffToken:
      type: http
      scheme: bearer
  schemas:
    ProductPage:
      type: object
      required: [items]
      properties:
        items:
          type: array
          items:
            $ref: "#/components/schemas/Product"
    Product:
      type: object
      required: [id, name, costCents]
      properties:
        id: {type: string}
        name: {type: string}
        costCents:
          type: integer
          x-internal-only: true
    Coupon:
      type: object
      properties:
        code: {type: string}
    CouponBatch:
      type: object
      properties:
        count: {type: integer}
        rule:
          $ref: "#/components/schemas/BatchRule"
    BatchRule:
      type: object
      properties:
        percent: {type: integer}
    Unused:
      type: object
      description: Nothing refers to this schema; it stays.
"""

PUBLIC_SUMMARIES = ("List the products on sale", "List the active coupons")
INTERNAL_SUMMARIES = ("Mint a batch of secret coupons", "Rebuild the hidden search index")
