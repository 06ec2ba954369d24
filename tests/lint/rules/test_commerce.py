"""Edge cases of the commerce rules: when a contract sells variants, what an order line is, and
which writes move money."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule


def check(rule_id: str, text: str) -> list[tuple[str, str]]:
    rule = get_rule(rule_id)
    assert rule is not None
    document = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}, "paths": {}}
    document.update(yaml.safe_load(text))
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


VARIANT_PATH = "'/api/v1/products/{product_id}/variants': {get: {responses: {}}}"
LINE = "{type: object, properties: {product_id: {type: integer}, quantity: {type: integer}}}"
LINE_WITH_VARIANT = "{type: object, properties: {product_id: {type: integer}, variant_id: {type: integer}, quantity: {type: integer}}}"


def orders(body: str, *, extra_paths: str = VARIANT_PATH, schemas: str = "{}") -> str:
    post = f"{{post: {{requestBody: {{content: {{application/json: {{schema: {body}}}}}}}, responses: {{}}}}}}"
    paths = f"'/api/v1/orders': {post}"
    if extra_paths:
        paths += f", {extra_paths}"
    return f"paths: {{{paths}}}\ncomponents: {{schemas: {schemas}}}"


LINE_CASES = [
    (
        "inline line without variant_id",
        orders(f"{{type: object, properties: {{items: {{type: array, items: {LINE}}}}}}}"),
        [
            "/paths/~1api~1v1~1orders/post/requestBody/content/application~1json/schema/properties/items/items"
        ],
    ),
    (
        "inline line with variant_id",
        orders(
            f"{{type: object, properties: {{items: {{type: array, items: {LINE_WITH_VARIANT}}}}}}}"
        ),
        [],
    ),
    (
        "no variants in the contract",
        orders(
            f"{{type: object, properties: {{items: {{type: array, items: {LINE}}}}}}}",
            extra_paths="",
        ),
        [],
    ),
    (
        "variants known from a schema, lines under line_items, reported at the component once",
        orders(
            "{$ref: '#/components/schemas/OrderCreate'}",
            extra_paths="'/api/v1/carts': {post: {requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/OrderCreate'}}}}, responses: {}}}",
            schemas=f"{{OrderCreate: {{type: object, properties: {{line_items: {{type: array, items: {{$ref: '#/components/schemas/Line'}}}}}}}}, Line: {LINE}, Product: {{type: object, properties: {{variants: {{type: array, items: {{type: object}}}}}}}}}}",
        ),
        ["/components/schemas/Line"],
    ),
    (
        "lines merged in through allOf",
        orders(
            f"{{allOf: [{{type: object, properties: {{lines: {{type: array, items: {LINE}}}}}}}]}}",
        ),
        ["/paths/~1api~1v1~1orders/post/requestBody/content/application~1json/schema/items"],
    ),
    (
        "a line without product_id names something else",
        orders(
            "{type: object, properties: {items: {type: array, items: {type: object, properties: {sku: {type: string}}}}}}"
        ),
        [],
    ),
    (
        "a variants property that is not a list does not count",
        orders(
            f"{{type: object, properties: {{items: {{type: array, items: {LINE}}}}}}}",
            extra_paths="",
            schemas="{Product: {type: object, properties: {variants: {type: integer}}}}",
        ),
        [],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in LINE_CASES], ids=[c[0] for c in LINE_CASES]
)
def test_order_line_cases(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check("order-lines-name-variants", text)] == expected


def test_order_line_message() -> None:
    text = orders(f"{{type: object, properties: {{items: {{type: array, items: {LINE}}}}}}}")
    assert [message for _, message in check("order-lines-name-variants", text)] == [
        "order line of `POST /api/v1/orders` names `product_id` but has no `variant_id`; "
        "the contract sells variants, so a line must be able to name one"
    ]


def post(path: str, params: str = "[]", item_params: str = "[]") -> str:
    return f"paths: {{'{path}': {{parameters: {item_params}, post: {{operationId: op, parameters: {params}, responses: {{}}}}}}}}"


KEY = "{name: Idempotency-Key, in: header, required: true}"
MONEY_CASES = [
    ("order without key", post("/api/v1/orders"), ["/paths/~1api~1v1~1orders/post"]),
    ("order with key", post("/api/v1/orders", params=f"[{KEY}]"), []),
    ("key on the path item", post("/api/v1/orders", item_params=f"[{KEY}]"), []),
    (
        "key in any case",
        post("/api/v1/orders", params="[{name: idempotency-key, in: header, required: true}]"),
        [],
    ),
    (
        "optional key",
        post("/api/v1/orders/{order_id}/refunds", params="[{name: Idempotency-Key, in: header}]"),
        ["/paths/~1api~1v1~1orders~1{order_id}~1refunds/post/parameters/0"],
    ),
    (
        "key in the query does not count",
        post(
            "/api/v1/orders/{order_id}/refunds",
            params="[{name: Idempotency-Key, in: query, required: true}]",
        ),
        ["/paths/~1api~1v1~1orders~1{order_id}~1refunds/post"],
    ),
    (
        "an action on one order is not a new order",
        post("/api/v1/orders/{order_id}/cancellation"),
        [],
    ),
    ("other collections move no money", post("/api/v1/products"), []),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in MONEY_CASES], ids=[c[0] for c in MONEY_CASES]
)
def test_money_write_cases(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check("idempotent-money-writes", text)] == expected


def test_money_write_message() -> None:
    assert [
        message
        for _, message in check(
            "idempotent-money-writes", post("/api/v1/orders/{order_id}/refunds")
        )
    ] == [
        "`op` creates a refund but takes no `Idempotency-Key` header; declare it required so a "
        "retry cannot charge or refund twice"
    ]
