"""Edge cases of the path rules, as tables: a contract fragment in, (pointer, message) out."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shopgen.contract import Contract, join_pointer
from shopgen.lint import get_rule


def check(rule_id: str, document: dict[str, Any]) -> list[tuple[str, str]]:
    rule = get_rule(rule_id)
    assert rule is not None, rule_id
    document = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}, **document}
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


def at(template: str, *rest: str) -> str:
    return join_pointer(["paths", template, *rest])


def paths(*templates: str) -> dict[str, Any]:
    ok = {"responses": {"200": {"description": "OK"}}}
    return {"paths": {template: {"get": ok} for template in templates}}


TEMPLATE_CASES = [
    # path-version-prefix
    ("path-version-prefix", "/api/v1/products", []),
    ("path-version-prefix", "/api/v12/products", []),
    ("path-version-prefix", "/api/v1", []),
    (
        "path-version-prefix",
        "/products",
        ["path `/products` does not start with `/api/v<N>`; use e.g. `/api/v1/products`"],
    ),
    (
        "path-version-prefix",
        "/v2/products",
        ["path `/v2/products` does not start with `/api/v<N>`; use e.g. `/api/v2/products`"],
    ),
    (
        "path-version-prefix",
        "/api/products",
        ["path `/api/products` does not start with `/api/v<N>`; use e.g. `/api/v1/products`"],
    ),
    ("path-version-prefix", "/", ["path `/` does not start with `/api/v<N>`; use e.g. `/api/v1`"]),
    (
        "path-version-prefix",
        "/apiv1/products",
        [
            "path `/apiv1/products` does not start with `/api/v<N>`; "
            "use e.g. `/api/v1/apiv1/products`"
        ],
    ),
    # path-no-verbs: verbs inside words, nouns and parameters pass
    ("path-no-verbs", "/api/v1/settings", []),
    ("path-no-verbs", "/api/v1/addresses/{address_id}", []),
    ("path-no-verbs", "/api/v1/users/me", []),
    ("path-no-verbs", "/api/v1/auth/tokens/refresh", []),
    ("path-no-verbs", "/api/v1/products/search", []),
    ("path-no-verbs", "/api/v1/checkouts/{checkout_id}", []),
    ("path-no-verbs", "/api/v1/runs/{run_id}", []),
    ("path-no-verbs", "/api/v1/carts/{create}", []),
    (
        "path-no-verbs",
        "/api/v1/orders/{order_id}/cancel",
        [
            "segment `cancel` is the verb `cancel`; name a resource and let the HTTP method act "
            "on it (`POST .../cancellation`, not `POST .../cancel`)"
        ],
    ),
    (
        "path-no-verbs",
        "/api/v1/getProducts",
        [
            "segment `getProducts` starts with the verb `get`; name a resource and let the HTTP "
            "method act on it (`POST .../cancellation`, not `POST .../cancel`)"
        ],
    ),
    (
        "path-no-verbs",
        "/api/v1/carts/{cart_id}/add_item",
        ["`add_item` starts with the verb `add`"],
    ),
    ("path-no-verbs", "/api/v1/auth/sign-in", ["`sign-in` is the verb `signin`"]),
    ("path-no-verbs", "/api/v1/auth/logOut", ["`logOut` is the verb `logout`"]),
    ("path-no-verbs", "/api/v1/checkout", ["`checkout` is the verb `checkout`"]),
    ("path-no-verbs", "/api/v1/login-attempts", ["`login-attempts` starts with the verb `login`"]),
    ("path-no-verbs", "/api/v1/orders/{id}:cancel", ["`{id}:cancel` is the verb `cancel`"]),
    # path-kebab-case: `{param}` segments are not URL text
    ("path-kebab-case", "/api/v1/gift-cards/{giftCardId}", []),
    ("path-kebab-case", "/api/v1/orders/{order_id}/line-items", []),
    ("path-kebab-case", "/api/v1/products/{sku}-images", []),
    ("path-kebab-case", "/api/v2/v1beta2", []),
    (
        "path-kebab-case",
        "/api/v1/giftCards",
        ["segment `giftCards` is not kebab-case; use `gift-cards`"],
    ),
    ("path-kebab-case", "/api/v1/gift_cards", ["`gift_cards` is not kebab-case; use `gift-cards`"]),
    ("path-kebab-case", "/api/v1/GiftCards", ["`GiftCards` is not kebab-case; use `gift-cards`"]),
    (
        "path-kebab-case",
        "/api/v1/invoices/{invoice_id}.pdf",
        [
            "segment `{invoice_id}.pdf` is not kebab-case; "
            "use lower-case words and digits joined by `-`"
        ],
    ),
    (
        "path-kebab-case",
        "/api/v1/Orders/{order_id}/lineItems",
        ["`Orders` is not kebab-case; use `orders`", "`lineItems` is not kebab-case"],
    ),
    # path-plural-collections: only a segment followed by `{param}` is judged
    ("path-plural-collections", "/api/v1/products/{product_id}", []),
    ("path-plural-collections", "/api/v1/product-media/{media_id}", []),
    ("path-plural-collections", "/api/v1/people/{person_id}", []),
    ("path-plural-collections", "/api/v1/inventory/{sku}", []),
    ("path-plural-collections", "/api/v1/codes-of-conduct/{key}", []),
    ("path-plural-collections", "/api/v1/{tenant}/products", []),
    ("path-plural-collections", "/api/v1/users/me", []),
    ("path-plural-collections", "/api/v1/cart", []),
    (
        "path-plural-collections",
        "/api/v1/product/{product_id}",
        [
            "segment `product` before `{product_id}` names a collection but is not plural; "
            "use `products`"
        ],
    ),
    ("path-plural-collections", "/api/v1/category/{id}", ["use `categories`"]),
    ("path-plural-collections", "/api/v1/box/{id}", ["use `boxes`"]),
    ("path-plural-collections", "/api/v1/gift-card/{id}", ["use `gift-cards`"]),
    ("path-plural-collections", "/api/v1/code-of-conduct/{key}", ["use `codes-of-conduct`"]),
    (
        "path-plural-collections",
        "/api/v1/order/{order_id}/item/{item_id}",
        ["`order` before `{order_id}`", "`item` before `{item_id}`"],
    ),
    # path-no-trailing-slash
    ("path-no-trailing-slash", "/", []),
    ("path-no-trailing-slash", "/api/v1/products", []),
    (
        "path-no-trailing-slash",
        "/api/v1/products/",
        ["path `/api/v1/products/` ends with `/`; use `/api/v1/products`"],
    ),
    ("path-no-trailing-slash", "/api/v1//", ["ends with `/`; use `/api/v1`"]),
]


@pytest.mark.parametrize(
    ("rule_id", "template", "expected"),
    TEMPLATE_CASES,
    ids=[f"{case[0]}:{case[1]}" for case in TEMPLATE_CASES],
)
def test_path_template(rule_id: str, template: str, expected: list[str]) -> None:
    found = check(rule_id, paths(template))
    assert [pointer for pointer, _ in found] == [at(template)] * len(expected)
    for (_, message), wanted in zip(found, expected, strict=True):
        assert wanted in message


def test_extension_keys_of_paths_are_not_paths() -> None:
    document = paths("/api/v1/products")
    document["paths"]["x-shopgen-note"] = {"owner": "catalogue"}
    for rule_id in ("path-version-prefix", "path-kebab-case", "path-no-verbs"):
        assert check(rule_id, document) == []


PRODUCT_ID = "{name: product_id, in: path, required: true, schema: {type: integer}}"

PARAMS_CASES = [
    (
        "path-level parameters count for every operation",
        f"""
        /api/v1/products/{{product_id}}:
          parameters: [{PRODUCT_ID}]
          get: {{responses: {{'200': {{description: OK}}}}}}
          delete: {{responses: {{'200': {{description: OK}}}}}}
        """,
        [],
    ),
    (
        "an operation's declaration wins over the path item's",
        """
        /api/v1/products/{product_id}:
          parameters:
            - {name: product_id, in: path, schema: {type: integer}}
          get:
            parameters:
              - {name: product_id, in: path, required: true, schema: {type: integer}}
            responses: {'200': {description: OK}}
        """,
        [],
    ),
    (
        "a parameter inside a segment is a template parameter",
        """
        /api/v1/invoices/{invoice_id}.pdf:
          get:
            parameters:
              - {name: invoice_id, in: path, required: true, schema: {type: integer}}
            responses: {'200': {description: OK}}
        """,
        [],
    ),
    (
        "missing from every operation: once, at the path",
        """
        /api/v1/products/{product_id}:
          get: {responses: {'200': {description: OK}}}
          delete: {responses: {'200': {description: OK}}}
        """,
        [
            (
                at("/api/v1/products/{product_id}"),
                "`{product_id}` has no `in: path` parameter; declare "
                "`{name: product_id, in: path, required: true}` on the path item",
            )
        ],
    ),
    (
        "missing from one operation: at that operation",
        f"""
        /api/v1/products/{{product_id}}:
          get:
            parameters: [{PRODUCT_ID}]
            responses: {{'200': {{description: OK}}}}
          delete:
            operationId: deleteProduct
            responses: {{'200': {{description: OK}}}}
        """,
        [
            (
                at("/api/v1/products/{product_id}", "delete"),
                "`{product_id}` has no `in: path` parameter in `deleteProduct`; declare "
                "`{name: product_id, in: path, required: true}`",
            )
        ],
    ),
    (
        "not required: once, where it is defined",
        """
        /api/v1/products/{product_id}:
          get:
            parameters: [{$ref: '#/components/parameters/product_id'}]
            responses: {'200': {description: OK}}
        /api/v1/products/{product_id}/images:
          get:
            parameters: [{$ref: '#/components/parameters/product_id'}]
            responses: {'200': {description: OK}}
        """,
        [
            (
                "/components/parameters/product_id",
                "path parameter `product_id` is not `required: true`; "
                "path parameters are always required",
            )
        ],
    ),
    (
        "a declared path parameter missing from the template: where it is used",
        f"""
        /api/v1/products/{{product_id}}:
          parameters: [{PRODUCT_ID}]
          get:
            parameters:
              - {{name: id, in: path, required: true, schema: {{type: integer}}}}
            responses: {{'200': {{description: OK}}}}
        """,
        [
            (
                at("/api/v1/products/{product_id}", "get", "parameters", "0"),
                "path parameter `id` is not in `/api/v1/products/{product_id}`; "
                "its template parameters are `product_id`",
            )
        ],
    ),
    (
        "a shared stray declaration is reported once",
        f"""
        /api/v1/products:
          parameters: [{PRODUCT_ID}]
          get: {{responses: {{'200': {{description: OK}}}}}}
          post: {{responses: {{'201': {{description: Created}}}}}}
        """,
        [
            (
                at("/api/v1/products", "parameters", "0"),
                "path parameter `product_id` is not in `/api/v1/products`; "
                "its template parameters are none",
            )
        ],
    ),
    (
        "a query parameter of the same name does not count",
        """
        /api/v1/products/{product_id}:
          get:
            parameters:
              - {name: product_id, in: query, schema: {type: integer}}
            responses: {'200': {description: OK}}
        """,
        [(at("/api/v1/products/{product_id}"), "`{product_id}` has no `in: path` parameter")],
    ),
]


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [case[1:] for case in PARAMS_CASES],
    ids=[case[0] for case in PARAMS_CASES],
)
def test_path_params_declared(fragment: str, expected: list[tuple[str, str]]) -> None:
    document = {
        "paths": yaml.safe_load(fragment),
        "components": {
            "parameters": {
                "product_id": {"name": "product_id", "in": "path", "schema": {"type": "integer"}}
            }
        },
    }
    found = check("path-params-declared", document)
    assert [pointer for pointer, _ in found] == [pointer for pointer, _ in expected]
    for (_, message), (_, wanted) in zip(found, expected, strict=True):
        assert wanted in message


QUERY_CASES = [
    ("/api/v1/products", "product_id", "`/api/v1/products/{product_id}`"),
    ("/api/v1/products", "productId", "`/api/v1/products/{productId}`"),
    ("/api/v1/products", "ProductID", "`/api/v1/products/{ProductID}`"),
    ("/api/v1/products", "id", "`/api/v1/products/{id}`"),
    ("/api/v1/categories", "category_id", "`/api/v1/categories/{category_id}`"),
    ("/api/v1/addresses", "address_id", "`/api/v1/addresses/{address_id}`"),
    ("/api/v1/gift-cards", "gift_card_id", "`/api/v1/gift-cards/{gift_card_id}`"),
    ("/api/v1/media", "media_id", "`/api/v1/media/{media_id}`"),
    (
        "/api/v1/orders/{order_id}/items",
        "item_id",
        "`/api/v1/orders/{order_id}/items/{item_id}`",
    ),
    ("/api/v1/orders", "user_id", None),
    ("/api/v1/orders", "ids", None),
    ("/api/v1/orders", "order_status", None),
    ("/api/v1/orders/{order_id}/items", "order_id", None),
]


@pytest.mark.parametrize(
    ("template", "name", "suggestion"),
    QUERY_CASES,
    ids=[f"{t}?{n}" for t, n, _ in QUERY_CASES],
)
def test_no_id_query_param(template: str, name: str, suggestion: str | None) -> None:
    parameter = {"name": name, "in": "query", "schema": {"type": "integer"}}
    document = {
        "paths": {
            template: {
                "get": {"parameters": [parameter], "responses": {"200": {"description": "OK"}}}
            }
        }
    }
    found = check("no-id-query-param", document)
    if suggestion is None:
        assert found == []
    else:
        assert found == [
            (
                at(template, "get", "parameters", "0"),
                f"query parameter `{name}` picks one resource by id; "
                f"address it in the path instead ({suggestion})",
            )
        ]


def test_no_id_query_param_reports_a_shared_parameter_once() -> None:
    document = yaml.safe_load(
        """
        paths:
          /api/v1/products:
            parameters:
              - {name: product_id, in: query, schema: {type: integer}}
            get: {responses: {'200': {description: OK}}}
            delete: {responses: {'200': {description: OK}}}
        """
    )
    assert [p for p, _ in check("no-id-query-param", document)] == [
        at("/api/v1/products", "parameters", "0")
    ]
