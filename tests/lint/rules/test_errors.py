"""Edge cases of error-responses: which operations owe which statuses."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule
from shopgen.lint.rules import errors
from shopgen.lint.rules.errors import CONFIGURED_OPERATIONS, RATE_LIMITED_OPERATIONS
from shopgen.render import _operations
from shopgen.render._operations import DOMAIN_OPERATIONS

ITEM = "/paths/~1api~1v1~1orders~1{order_id}"


def check(text: str) -> list[tuple[str, str]]:
    rule = get_rule("error-responses")
    assert rule is not None
    document = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}}
    document.update(yaml.safe_load(text))
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


def item(operation: str, security: str = "security: [{bearerAuth: []}]") -> str:
    return f"{security}\npaths: {{'/api/v1/orders/{{order_id}}': {{parameters: [{{name: order_id, in: path, required: true}}], {operation}}}}}"


OK = "'503': {description: x}"
BODY = "requestBody: {content: {}}"


CASES = [
    (
        "secured with 401, 404 and 422",
        item(
            f"get: {{operationId: getOrder, responses: {{'200': {{description: x}}, '401': {{description: x}}, '404': {{description: x}}, '422': {{description: x}}, {OK}}}}}"
        ),
        [],
    ),
    (
        "explicitly public owes no 401",
        item(
            f"get: {{operationId: getOrder, security: [], responses: {{'404': {{description: x}}, '422': {{description: x}}, {OK}}}}}"
        ),
        [],
    ),
    (
        "no root security owes no 401",
        item(
            f"get: {{operationId: getOrder, responses: {{'404': {{description: x}}, '422': {{description: x}}, {OK}}}}}",
            "",
        ),
        [],
    ),
    (
        "4XX covers everything but 503",
        item(
            f"patch: {{operationId: updateOrder, {BODY}, responses: {{'4XX': {{description: x}}}}}}"
        ),
        [f"{ITEM}/patch/responses"],
    ),
    (
        "5XX covers 503",
        item(
            f"patch: {{operationId: updateOrder, {BODY}, responses: {{'4XX': {{description: x}}, '5XX': {{description: x}}}}}}"
        ),
        [],
    ),
    (
        "default covers nothing",
        item("get: {operationId: getOrder, responses: {default: {description: x}}}"),
        [f"{ITEM}/get/responses"] * 4,
    ),
    (
        "a body owes 400, 413 and 422",
        item(
            f"patch: {{operationId: updateOrder, {BODY}, responses: {{'401': {{description: x}}, '404': {{description: x}}, {OK}}}}}"
        ),
        [f"{ITEM}/patch/responses"] * 3,
    ),
    (
        "a raw-body operation owes no 422",
        item(
            f"patch: {{operationId: updateOrder, x-shopgen-raw-body: true, {BODY}, responses: {{'400': {{description: x}}, '401': {{description: x}}, '404': {{description: x}}, '413': {{description: x}}, {OK}}}}}"
        ),
        [],
    ),
    (
        "a rate-limited operation owes 429",
        item(
            f"post: {{operationId: createOrder, {BODY}, responses: {{'400': {{description: x}}, '401': {{description: x}}, '404': {{description: x}}, '413': {{description: x}}, '422': {{description: x}}, {OK}}}}}"
        ),
        [f"{ITEM}/post/responses"],
    ),
    (
        "an operation that needs configuration owes 501",
        item(
            f"post: {{operationId: createPayment, {BODY}, responses: {{'4XX': {{description: x}}, {OK}}}}}"
        ),
        [f"{ITEM}/post/responses"],
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
        "`updateOrder` does not declare `400` (its request body may be malformed JSON)",
        "`updateOrder` does not declare `422` (its input may not validate)",
        "`updateOrder` does not declare `413` (its request body may be over the size limit)",
        "`updateOrder` does not declare `503` (its database or another dependency may be unavailable)",
    ]


def test_the_rule_knows_what_the_template_limits_and_needs_configured() -> None:
    """The rule's tables are the template's: lint and generator agree on every contract."""
    template = Path(__file__).parents[3] / "template" / "{{cookiecutter.project_slug}}" / "app"
    ratelimit = (template / "core" / "ratelimit.py").read_text(encoding="utf-8")
    table = ratelimit[ratelimit.index("OPERATION_RULES") :].split("}", 1)[0]
    assert set(re.findall(r'"(\w+)": "(?:auth|checkout)"', table)) == RATE_LIMITED_OPERATIONS
    for operation_id in CONFIGURED_OPERATIONS:
        assert (
            operation_id
            in DOMAIN_OPERATIONS["auth"]
            | DOMAIN_OPERATIONS["payments"]
            | DOMAIN_OPERATIONS["refunds"]
            | DOMAIN_OPERATIONS["webhooks"]
        )
    # Operations that read their raw body: the generator binds no body, so no 422 for it.
    assert errors.RAW_BODY_OPERATIONS == _operations.RAW_BODY_OPERATIONS
