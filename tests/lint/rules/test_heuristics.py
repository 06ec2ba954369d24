"""Rules that judge by names read the rest of the contract before they fire.

Each part of `MISREAD` has a name a rule keys on but is something else, as found in public
descriptions: a media offset called `amountToSkip` (Figma), a token-secured call that creates
a webhook subscription (Figma's `POST /v2/webhooks`), a query `key` naming an asset size
(Directus), an RFC 9457 `status` code. `MEANT` keeps the same names where they mean what the
rules guard against, so the rules still fire there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shopgen.lint import run

HEAD = """\
openapi: 3.1.0
info: {title: Heuristics, version: '1'}
components:
  securitySchemes:
    token: {type: http, scheme: bearer}
"""

MISREAD = (
    HEAD
    + """\
  schemas:
    SkipMedia:
      type: object
      description: |-
        Skips through a video.

        The `amountToSkip` is the amount of time to skip in seconds.
      properties:
        amountToSkip: {type: number}
    Problem:
      type: object
      properties:
        type: {type: string, format: uri}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
    ImageResult:
      type: object
      properties:
        status: {type: number, description: Status code, enum: [200]}
paths:
  /v2/webhooks:
    post:
      summary: Create a webhook
      security: [{token: []}]
      responses:
        '201': {description: Created.}
  /assets/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - name: key
          in: query
          description: The key of the asset size configured in settings.
          schema: {type: string}
      responses:
        '200': {description: The asset.}
"""
)

MEANT = (
    HEAD
    + """\
  schemas:
    Refund:
      type: object
      description: The `amount` is what the shop pays back, in cents.
      properties:
        amount: {type: number}
        currency: {type: string}
    Order:
      type: object
      properties:
        status: {type: integer, enum: [1, 2]}
paths:
  /webhooks/shopify:
    post:
      summary: Receive a Shopify webhook
      security: []
      responses:
        '200': {description: Received.}
  /products:
    get:
      parameters:
        - {name: key, in: query, schema: {type: string}}
        - name: key2
          in: query
          description: Your API key.
          schema: {type: string, format: password}
      responses:
        '200': {description: The products.}
"""
)

RULES = (
    "money-integer-minor-units",
    "webhook-signature-header",
    "no-credentials-in-query",
    "status-enum",
)


def findings(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    path = tmp_path / "contract.yaml"
    path.write_text(text)
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n" + "".join(f"  {rule}: error\n" for rule in RULES))
    found = run(path, ruleset=rules).findings
    return sorted((f.rule, f.pointer) for f in found if f.rule in RULES)


def test_names_that_mean_something_else_are_left_alone(tmp_path: Path) -> None:
    assert findings(tmp_path, MISREAD) == []


def test_the_same_names_still_fire_where_they_mean_it(tmp_path: Path) -> None:
    assert findings(tmp_path, MEANT) == [
        ("money-integer-minor-units", "/components/schemas/Refund/properties/amount"),
        ("no-credentials-in-query", "/paths/~1products/get/parameters/0"),
        ("no-credentials-in-query", "/paths/~1products/get/parameters/1"),
        ("status-enum", "/components/schemas/Order/properties/status"),
        ("webhook-signature-header", "/paths/~1webhooks~1shopify/post"),
    ]


@pytest.mark.parametrize("rule", RULES)
def test_the_rationale_says_what_the_rule_keys_on(rule: str) -> None:
    from shopgen.lint import get_rule

    found = get_rule(rule)
    assert found is not None
    words = {
        "money-integer-minor-units": ("description", "`format`"),
        "webhook-signature-header": ("`security`",),
        "no-credentials-in-query": ("description", "`format: password`"),
        "status-enum": ("description", "RFC 9457", "100-599"),
    }[rule]
    for word in words:
        assert word in found.rationale
