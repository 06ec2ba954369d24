"""Edge cases of the operation rules, as tables: a contract fragment in, (pointer, message) out."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shopgen.contract import Contract, join_pointer
from shopgen.lint import get_rule


def check(rule_id: str, fragment: str) -> list[tuple[str, str]]:
    rule = get_rule(rule_id)
    assert rule is not None, rule_id
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Shop", "version": "1"},
        **yaml.safe_load(fragment),
    }
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


def at(template: str, *rest: str) -> str:
    return join_pointer(["paths", template, *rest])


CATALOGUE = """
paths:
  /api/v1/products:
    get: {responses: {'200': {description: OK}}}
    post: {responses: {'201': {description: Created}}}
  /api/v1/products/{product_id}:
    get: {responses: {'200': {description: OK}}}
    put: {responses: {'200': {description: OK}}}
    patch: {responses: {'200': {description: OK}}}
    delete: {responses: {'200': {description: OK}}}
  /api/v1/health:
    get: {responses: {'200': {description: OK}}}
  /api/v1/gift-cards/{gift_card_id}/redemptions:
    post: {responses: {'201': {description: Created}}}
"""


def test_operation_id_required_suggests_a_house_name() -> None:
    found = check("operation-id-required", CATALOGUE)
    assert [(pointer, message.rsplit("e.g. ", 1)[1]) for pointer, message in found] == [
        (at("/api/v1/products", "get"), "`listProducts`"),
        (at("/api/v1/products", "post"), "`createProduct`"),
        (at("/api/v1/products/{product_id}", "get"), "`getProduct`"),
        (at("/api/v1/products/{product_id}", "put"), "`replaceProduct`"),
        (at("/api/v1/products/{product_id}", "delete"), "`deleteProduct`"),
        (at("/api/v1/products/{product_id}", "patch"), "`updateProduct`"),
        (at("/api/v1/health", "get"), "`getHealth`"),
        (at("/api/v1/gift-cards/{gift_card_id}/redemptions", "post"), "`createRedemption`"),
    ]
    assert found[0][1] == (
        "`GET /api/v1/products` has no `operationId`; "
        "add a unique camelCase one, e.g. `listProducts`"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("listProducts", None),
        ("''", 'operationId `""` of `GET /api/v1/products` is blank; use e.g. `getProduct`'),
        ("'  '", "is blank"),
        ("42", "operationId `42` of `GET /api/v1/products` is not a string"),
    ],
)
def test_operation_id_required_values(value: str, expected: str | None) -> None:
    found = check(
        "operation-id-required",
        f"""
        paths:
          /api/v1/products:
            get: {{operationId: {value}, responses: {{'200': {{description: OK}}}}}}
        """,
    )
    if expected is None:
        assert found == []
    else:
        assert [pointer for pointer, _ in found] == [at("/api/v1/products", "get", "operationId")]
        assert expected in found[0][1]


UNIQUE_CASES = [
    ("distinct ids", ["listProducts", "createProduct"], []),
    (
        "the same id twice",
        ["getProduct", "getProduct"],
        [
            (
                1,
                "operationId `getProduct` is already used by `GET /api/v1/r0`; make it unique",
            )
        ],
    ),
    (
        "ids equal once cased for code",
        ["getProduct", "get_product"],
        [
            (
                1,
                "operationId `get_product` collides with `getProduct` (`GET /api/v1/r0`) "
                "once cased for code; rename one",
            )
        ],
    ),
    ("PascalCase collides too", ["GetProduct", "getProduct"], [(1, "collides with")]),
    (
        "every later duplicate names the first",
        ["getProduct", "getProduct", "getProduct"],
        [(1, "used by `GET /api/v1/r0`"), (2, "used by `GET /api/v1/r0`")],
    ),
    ("missing ids are another rule's", ["getProduct", None, None], []),
]


@pytest.mark.parametrize(
    ("ids", "expected"),
    [case[1:] for case in UNIQUE_CASES],
    ids=[case[0] for case in UNIQUE_CASES],
)
def test_operation_id_unique(ids: list[str | None], expected: list[tuple[int, str]]) -> None:
    paths = {}
    for index, operation_id in enumerate(ids):
        operation: dict[str, Any] = {"responses": {"200": {"description": "OK"}}}
        if operation_id is not None:
            operation["operationId"] = operation_id
        paths[f"/api/v1/r{index}"] = {"get": operation}
    found = check("operation-id-unique", yaml.safe_dump({"paths": paths}))
    assert [pointer for pointer, _ in found] == [
        at(f"/api/v1/r{index}", "get", "operationId") for index, _ in expected
    ]
    for (_, message), (_, wanted) in zip(found, expected, strict=True):
        assert wanted in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("listProducts", None),
        ("getOrderByID", None),
        ("v2ListProducts", None),
        ("list_products", "operationId `list_products` is not camelCase; use `listProducts`"),
        ("ListProducts", "use `listProducts`"),
        ("list-gift-cards", "use `listGiftCards`"),
        ("products/list", "use `productsList`"),
        ("'2fa'", "operationId `2fa` is not camelCase; use a letter, then letters and digits"),
        ("''", None),
    ],
)
def test_operation_id_camel_case(value: str, expected: str | None) -> None:
    found = check(
        "operation-id-camel-case",
        f"""
        paths:
          /api/v1/products:
            get: {{operationId: {value}, responses: {{'200': {{description: OK}}}}}}
        """,
    )
    if expected is None:
        assert found == []
    else:
        assert [p for p, _ in found] == [at("/api/v1/products", "get", "operationId")]
        assert expected in found[0][1]


SUMMARY = at("/api/v1/products", "get", "summary")
SUMMARY_CASES = [
    ("List products", []),
    ("x" * 120, []),
    ("  " + "x" * 120 + "  ", []),
    (
        "x" * 121,
        [(SUMMARY, f"summary `{'x' * 40}…` is 121 characters; keep it to 120")],
    ),
    ("   ", [(SUMMARY, 'summary `"   "` of `listProducts` is blank; add a short title')]),
    (42, [(SUMMARY, "summary `42` of `listProducts` is not text")]),
    (None, [(at("/api/v1/products", "get"), "`listProducts` has no `summary`")]),
]


@pytest.mark.parametrize(
    ("summary", "expected"),
    SUMMARY_CASES,
    ids=["short", "120", "trimmed", "121", "blank", "number", "missing"],
)
def test_operation_summary(summary: object, expected: list[tuple[str, str]]) -> None:
    operation: dict[str, Any] = {
        "operationId": "listProducts",
        "responses": {"200": {"description": "OK"}},
    }
    if summary is not None:
        operation["summary"] = summary
    found = check(
        "operation-summary", yaml.safe_dump({"paths": {"/api/v1/products": {"get": operation}}})
    )
    assert [p for p, _ in found] == [p for p, _ in expected]
    for (_, message), (_, wanted) in zip(found, expected, strict=True):
        assert wanted in message


@pytest.mark.parametrize(
    ("tags", "pointer"),
    [
        ("tags: [products]", None),
        ("tags: [products, internal]", None),
        ("", at("/api/v1/products", "get")),
        ("tags: []", at("/api/v1/products", "get", "tags")),
        ("tags: [1, 2]", at("/api/v1/products", "get", "tags")),
    ],
)
def test_operation_tags(tags: str, pointer: str | None) -> None:
    found = check(
        "operation-tags",
        f"""
        tags: [{{name: products, description: The catalogue.}}]
        paths:
          /api/v1/products:
            get:
              operationId: listProducts
              {tags}
              responses: {{'200': {{description: OK}}}}
        """,
    )
    if pointer is None:
        assert found == []
    else:
        assert found == [
            (
                pointer,
                "`listProducts` has no tags; tag it with one declared in root `tags` "
                "(e.g. `products`)",
            )
        ]


TAGS_CASES = [
    ("declared and described", "tags: [products]", "", []),
    (
        "used, not declared",
        "tags: [products, carts]",
        "",
        [
            (
                at("/api/v1/products", "get", "tags", "1"),
                "tag `carts` is not declared in root `tags`; declare it there with a description",
            )
        ],
    ),
    (
        "a near miss names the declared spelling",
        "tags: [Products]",
        "",
        [
            (
                at("/api/v1/products", "get", "tags", "0"),
                "tag `Products` is not declared in root `tags`; use `products`",
            )
        ],
    ),
    (
        "declared without a description",
        "tags: [products]",
        "- {name: orders}",
        [("/tags/1", "tag `orders` has no `description`; say what the section covers")],
    ),
    (
        "declared with a blank description",
        "tags: [products]",
        "- {name: orders, description: ' '}",
        [("/tags/1", "tag `orders` has no `description`")],
    ),
    (
        "declared twice",
        "tags: [products]",
        "- {name: products, description: Again.}",
        [
            (
                "/tags/1/name",
                "tag `products` is declared twice (also at `/tags/0`); declare each tag once",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("used", "declared", "expected"),
    [case[1:] for case in TAGS_CASES],
    ids=[case[0] for case in TAGS_CASES],
)
def test_tags_declared(used: str, declared: str, expected: list[tuple[str, str]]) -> None:
    fragment = f"""
tags:
- {{name: products, description: The catalogue.}}
{declared}
paths:
  /api/v1/products:
    get:
      operationId: listProducts
      {used}
      responses: {{'200': {{description: OK}}}}
"""
    found = check("tags-declared", fragment)
    assert [p for p, _ in found] == [p for p, _ in expected]
    for (_, message), (_, wanted) in zip(found, expected, strict=True):
        assert wanted in message


def test_tags_declared_covers_webhook_operations() -> None:
    found = check(
        "tags-declared",
        """
        tags: [{name: products, description: The catalogue.}]
        webhooks:
          orderPaid:
            post:
              tags: [orders]
              responses: {'200': {description: OK}}
        """,
    )
    assert [p for p, _ in found] == ["/webhooks/orderPaid/post/tags/0"]
