"""Edge cases of error-responses: which operations owe which statuses."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule

ITEM = "/paths/~1api~1v1~1orders~1{order_id}"


def check(text: str) -> list[tuple[str, str]]:
    rule = get_rule("error-responses")
    assert rule is not None
    document = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}}
    document.update(yaml.safe_load(text))
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


def item(operation: str, security: str = "security: [{bearerAuth: []}]") -> str:
    return f"{security}\npaths: {{'/api/v1/orders/{{order_id}}': {{parameters: [{{name: order_id, in: path, required: true}}], {operation}}}}}"


CASES = [
    (
        "secured with 401 and 404",
        item(
            "get: {operationId: getOrder, responses: {'200': {description: x}, '401': {description: x}, '404': {description: x}}}"
        ),
        [],
    ),
    (
        "explicitly public owes no 401",
        item("get: {operationId: getOrder, security: [], responses: {'404': {description: x}}}"),
        [],
    ),
    (
        "no root security owes no 401",
        item("get: {operationId: getOrder, responses: {'404': {description: x}}}", ""),
        [],
    ),
    (
        "4XX covers everything",
        item(
            "patch: {operationId: updateOrder, requestBody: {content: {}}, responses: {'4XX': {description: x}}}"
        ),
        [],
    ),
    (
        "default covers nothing",
        item("get: {operationId: getOrder, responses: {default: {description: x}}}"),
        [f"{ITEM}/get/responses", f"{ITEM}/get/responses"],
    ),
    (
        "400 is enough for a body",
        item(
            "patch: {operationId: updateOrder, requestBody: {content: {}}, responses: {'400': {description: x}, '401': {description: x}, '404': {description: x}}}"
        ),
        [],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_response_cases(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check(text)] == expected


def test_messages_name_the_status_and_why() -> None:
    text = item(
        "patch: {operationId: updateOrder, requestBody: {content: {}}, responses: {'200': {description: x}}}"
    )
    assert [message for _, message in check(text)] == [
        "`updateOrder` does not declare `401` (it requires authentication)",
        "`updateOrder` does not declare `404` (its path names a resource that may not exist)",
        "`updateOrder` does not declare `422` or `400` (its request body may not validate)",
    ]
