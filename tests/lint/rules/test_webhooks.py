"""Edge cases of webhook-signature-header: what is a webhook, what is a signature header."""

# ruff: noqa: E501  (tables of inline YAML read best one case per line)

from __future__ import annotations

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import get_rule


def check(text: str) -> list[tuple[str, str]]:
    rule = get_rule("webhook-signature-header")
    assert rule is not None
    document = {"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}}
    document.update(yaml.safe_load(text))
    return [(p.pointer, p.message) for p in rule.check(Contract.from_document(document))]


def op(path: str, method: str = "post", params: str = "[]", extra: str = "") -> str:
    return f"paths: {{'{path}': {{{method}: {{parameters: {params}, responses: {{}}{extra}}}}}}}"


SIGNED = "[{name: Wechatpay-Signature, in: header, required: true}]"
CASES = [
    ("signed notification", op("/api/v1/payments/wechat/notifications", params=SIGNED), []),
    (
        "hmac header",
        op(
            "/api/v1/webhooks/shopify",
            params="[{name: X-Shopify-Hmac-Sha256, in: header, required: true}]",
        ),
        [],
    ),
    (
        "unsigned webhook",
        op("/api/v1/webhooks/shopify"),
        ["/paths/~1api~1v1~1webhooks~1shopify/post"],
    ),
    (
        "segment starting with webhook",
        op("/api/v1/webhook-events"),
        ["/paths/~1api~1v1~1webhook-events/post"],
    ),
    (
        "optional signature",
        op("/api/v1/webhooks/shopify", params="[{name: X-Signature, in: header}]"),
        ["/paths/~1api~1v1~1webhooks~1shopify/post/parameters/0"],
    ),
    (
        "signature in the query does not count",
        op("/api/v1/webhooks/shopify", params="[{name: signature, in: query, required: true}]"),
        ["/paths/~1api~1v1~1webhooks~1shopify/post"],
    ),
    ("listing notifications is not a delivery", op("/api/v1/notifications", method="get"), []),
    (
        "a kind of notifications",
        op("/api/v1/payments/wechat/refund-notifications"),
        ["/paths/~1api~1v1~1payments~1wechat~1refund-notifications/post"],
    ),
    (
        "signed refund notifications",
        op("/api/v1/payments/wechat/refund-notifications", params=SIGNED),
        [],
    ),
    ("a word ending in notifications is not one", op("/api/v1/push-notificationsx"), []),
    (
        "marked webhook",
        op("/api/v1/stripe-events", extra=", x-shopgen-webhook: true"),
        ["/paths/~1api~1v1~1stripe-events/post"],
    ),
    (
        "3.1 webhooks the API sends",
        "webhooks: {orderPaid: {post: {operationId: orderPaid, responses: {}}}}",
        ["/webhooks/orderPaid/post"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_webhook_cases(text: str, expected: list[str]) -> None:
    assert [pointer for pointer, _ in check(text)] == expected


def test_message() -> None:
    assert check(op("/api/v1/webhooks/shopify")) == [
        (
            "/paths/~1api~1v1~1webhooks~1shopify/post",
            "webhook `POST /api/v1/webhooks/shopify` has no signature header; declare a required "
            "`in: header` parameter whose name contains `signature` or `hmac`",
        )
    ]
