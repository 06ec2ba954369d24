"""Edge cases of the method rules, as tables: a contract fragment in, (pointer, message) out."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shopgen.contract import Contract, join_pointer
from shopgen.lint import get_rule

ITEM = "/api/v1/carts/{cart_id}"
SCHEMA = ("requestBody", "content", "application/json", "schema")


def check(rule_id: str, paths: str) -> list[tuple[str, str]]:
    rule = get_rule(rule_id)
    assert rule is not None, rule_id
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Shop", "version": "1"},
        "paths": yaml.safe_load(paths),
        "components": {
            "schemas": {
                "Cart": {
                    "type": "object",
                    "required": ["lines"],
                    "properties": {"lines": {"type": "array"}, "note": {"type": "string"}},
                },
                "CartNote": {"type": "object", "properties": {"note": {"type": "string"}}},
            },
            "requestBodies": {
                "CartReplace": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Cart"}}
                    },
                }
            },
        },
    }
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


def at(template: str, *rest: str) -> str:
    return join_pointer(["paths", template, *rest])


def body(schema: str, required: str = "required: true", media: str = "application/json") -> str:
    return f"{{{required}, content: {{'{media}': {{schema: {schema}}}}}}}"


def assert_found(found: list[tuple[str, str]], expected: list[tuple[str, str]]) -> None:
    assert [p for p, _ in found] == [p for p, _ in expected]
    for (_, message), (_, wanted) in zip(found, expected, strict=True):
        assert wanted in message


PUT_CASES = [
    ("a required body requiring fields", ITEM, body("{$ref: '#/components/schemas/Cart'}"), []),
    ("a shared request body", ITEM, "{$ref: '#/components/requestBodies/CartReplace'}", []),
    (
        "required merged from allOf",
        ITEM,
        body("{allOf: [{$ref: '#/components/schemas/Cart'}, {properties: {gift: {}}}]}"),
        [],
    ),
    (
        "a binary upload",
        "/api/v1/products/{product_id}/image",
        body("{type: string, format: binary}", media="image/png"),
        [
            (
                at("/api/v1/products/{product_id}/image", "put"),
                "PUT `replaceCart` is on `/api/v1/products/{product_id}/image`, which does not "
                "end in a `{param}`; PUT replaces one addressed resource (use POST or PATCH here)",
            )
        ],
    ),
    (
        "no body",
        ITEM,
        None,
        [
            (
                at(ITEM, "put"),
                "PUT `replaceCart` has no `requestBody`; a replacement sends the whole resource",
            )
        ],
    ),
    (
        "an optional body",
        ITEM,
        body("{$ref: '#/components/schemas/Cart'}", required="required: false"),
        [(at(ITEM, "put", "requestBody"), "is not `required: true`")],
    ),
    (
        "a body schema requiring nothing",
        ITEM,
        body("{$ref: '#/components/schemas/CartNote'}"),
        [
            (
                at(ITEM, "put", *SCHEMA),
                "the `application/json` body of PUT `replaceCart` requires no property; "
                "require every writable field (a `...Replace` schema), or use PATCH",
            )
        ],
    ),
    (
        "a collection",
        "/api/v1/carts",
        body("{$ref: '#/components/schemas/Cart'}"),
        [(at("/api/v1/carts", "put"), "which does not end in a `{param}`")],
    ),
    (
        "a singleton like /users/me",
        "/api/v1/users/me",
        body("{$ref: '#/components/schemas/Cart'}"),
        [(at("/api/v1/users/me", "put"), "which does not end in a `{param}`")],
    ),
]


@pytest.mark.parametrize(
    ("template", "request_body", "expected"),
    [case[1:] for case in PUT_CASES],
    ids=[case[0] for case in PUT_CASES],
)
def test_put_full_replacement(
    template: str, request_body: str | None, expected: list[tuple[str, str]]
) -> None:
    written = f"requestBody: {request_body}" if request_body else ""
    paths = f"""
    '{template}':
      put:
        operationId: replaceCart
        {written}
        responses: {{'200': {{description: OK}}}}
    """
    assert_found(check("put-full-replacement", paths), expected)


PATCH_CASES = [
    ("all optional", body("{$ref: '#/components/schemas/CartNote'}"), []),
    (
        "optional body is fine",
        body("{$ref: '#/components/schemas/CartNote'}", "required: false"),
        [],
    ),
    (
        "JSON Patch operations",
        body(
            "{type: array, items: {type: object, required: [op, path]}}",
            media="application/json-patch+json",
        ),
        [],
    ),
    (
        "no body",
        None,
        [(at(ITEM, "patch"), "PATCH `updateCart` has no `requestBody`; send the fields to change")],
    ),
    (
        "the create schema reused",
        body("{$ref: '#/components/schemas/Cart'}"),
        [
            (
                at(ITEM, "patch", *SCHEMA),
                "the `application/json` body of PATCH `updateCart` requires `lines`; "
                "make every property optional (a `...Update` schema)",
            )
        ],
    ),
    (
        "required merged from allOf, listed sorted",
        body("{allOf: [{$ref: '#/components/schemas/Cart'}, {required: [gift]}]}"),
        [(at(ITEM, "patch", *SCHEMA), "requires `gift`, `lines`;")],
    ),
    (
        "merge patch",
        body("{$ref: '#/components/schemas/Cart'}", media="application/merge-patch+json"),
        [
            (
                at(
                    ITEM,
                    "patch",
                    "requestBody",
                    "content",
                    "application/merge-patch+json",
                    "schema",
                ),
                "",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [case[1:] for case in PATCH_CASES],
    ids=[case[0] for case in PATCH_CASES],
)
def test_patch_partial_update(request_body: str | None, expected: list[tuple[str, str]]) -> None:
    written = f"requestBody: {request_body}" if request_body else ""
    paths = f"""
    '{ITEM}':
      patch:
        operationId: updateCart
        {written}
        responses: {{'200': {{description: OK}}}}
    """
    assert_found(check("patch-partial-update", paths), expected)


@pytest.mark.parametrize(
    ("method", "fires"),
    [
        ("get", True),
        ("head", True),
        ("delete", True),
        ("post", False),
        ("put", False),
        ("patch", False),
        ("options", False),
    ],
)
def test_no_body_on_get_delete(method: str, fires: bool) -> None:
    paths = f"""
    '{ITEM}':
      {method}:
        operationId: touchCart
        requestBody: {body("{$ref: '#/components/schemas/CartNote'}", "required: false")}
        responses: {{'200': {{description: OK}}}}
    """
    expected = [
        (
            at(ITEM, method, "requestBody"),
            f"{method.upper()} `touchCart` has a `requestBody`; {method.upper()} carries no body",
        )
    ]
    assert_found(check("no-body-on-get-delete", paths), expected if fires else [])


CREATE_CASES = [
    ("createCart answers 201", "/api/v1/carts", "createCart", "'201'", []),
    ("an action answers 200", "/api/v1/auth/tokens/refresh", "refreshToken", "'200'", []),
    ("not a create word", "/api/v1/reports", "createdReport", "'200'", []),
    (
        "createX without 201",
        "/api/v1/auth/tokens",
        "createToken",
        "'200'",
        [
            (
                at("/api/v1/auth/tokens", "post", "responses"),
                "POST `createToken` creates a resource but declares no `201` "
                "(declared: `200`); answer `201 Created`",
            )
        ],
    ),
    (
        "a POST on a collection path, whatever its id",
        "/api/v1/carts",
        "openCart",
        "'202'",
        [(at("/api/v1/carts", "post", "responses"), "(declared: `202`)")],
    ),
    (
        "200 beside 201",
        "/api/v1/carts",
        "createCart",
        "'201', '200'",
        [
            (
                at("/api/v1/carts", "post", "responses", "200"),
                "POST `createCart` declares `200` beside `201`; a create answers `201` only",
            )
        ],
    ),
    (
        "create_cart in snake_case counts",
        "/api/v1/sessions",
        "create_session",
        "'200'",
        [(at("/api/v1/sessions", "post", "responses"), "declares no `201`")],
    ),
]


@pytest.mark.parametrize(
    ("template", "operation_id", "statuses", "expected"),
    [case[1:] for case in CREATE_CASES],
    ids=[case[0] for case in CREATE_CASES],
)
def test_create_returns_201(
    template: str, operation_id: str, statuses: str, expected: list[tuple[str, str]]
) -> None:
    responses = ", ".join(f"{s}: {{description: x}}" for s in statuses.split(", "))
    paths = f"""
    '{template}':
      post:
        operationId: {operation_id}
        responses: {{{responses}}}
    '/api/v1/carts/{{cart_id}}':
      get: {{operationId: getCart, responses: {{'200': {{description: OK}}}}}}
    """
    assert_found(check("create-returns-201", paths), expected)
