"""House rules: incoming webhooks are signed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shopgen.contract import HTTP_METHODS, Contract, Operation, PathItem, join_pointer

from .._rule import Problem, rule

__all__ = ["RULES"]

WEBHOOK_SEGMENTS = frozenset({"webhooks", "notifications"})
# Providers deliver by POST (Shopify, Stripe, WeChat Pay, Alipay); GET /webhooks lists
# subscriptions and PUT /notifications marks a user's notifications read: neither is a delivery.
DELIVERY_METHOD = "post"
SIGNATURE_WORDS = ("signature", "hmac")


@rule(
    "webhook-signature-header",
    default="error",
    good="""
    paths:
      /api/v1/webhooks/shopify:
        post:
          operationId: receiveShopifyWebhook
          summary: Receive a Shopify webhook
          tags: [products]
          security: []
          parameters:
            - name: X-Shopify-Hmac-Sha256
              in: header
              required: true
              schema: {type: string}
          responses:
            '200':
              description: Received.
    """,
    bad="""
    paths:
      /api/v1/webhooks/shopify:
        post:
          operationId: receiveShopifyWebhook
          summary: Receive a Shopify webhook
          tags: [products]
          security: []
          responses:
            '200':
              description: Received.
    """,
    at="/paths/~1api~1v1~1webhooks~1shopify/post",
)
def webhook_signature_header(contract: Contract) -> Iterator[Problem]:
    """A webhook receiver requires a signature header (`…Signature…` or `…Hmac…`).

    A webhook endpoint is public by necessity, so the signature is its only authentication:
    without it anyone can post "order paid" and ship goods for free. A webhook receiver is a
    POST whose path has a `webhooks` or `notifications` segment, a segment naming a kind of
    them (`refund-notifications`, `order-webhooks`) or starting with `webhook`, or any
    operation marked `x-shopgen-webhook: true`. Providers deliver by POST; other methods on
    such paths (listing subscriptions, marking a user's notifications read) manage webhooks
    rather than receive them. So does a POST whose own `security` requires one of the API's
    schemes (Figma's `POST /v2/webhooks` creates a subscription with a personal access
    token): a provider holds none of the API's credentials, so a receiver is public on
    purpose and its signature is its authentication. A receiver must declare an `in: header`
    parameter, `required: true`, whose name contains `signature` or `hmac` (any case:
    `X-Shopify-Hmac-Sha256`, `Wechatpay-Signature`). Webhooks the API sends (OpenAPI 3.1
    `webhooks`) must document the header they are signed with, too.
    """
    for op in contract.operations:
        marked = op.node.get("x-shopgen-webhook") is True
        by_path = (
            op.method == DELIVERY_METHOD
            and not _calls_the_api(op)
            and any(_is_webhook_segment(segment) for segment in op.path.literal_segments)
        )
        if marked or by_path:
            yield from _check(op)
    for op in _sent_webhooks(contract):
        yield from _check(op)


def _is_webhook_segment(segment: str) -> bool:
    """`webhooks`, `notifications`, `webhook-events`, or a kind of them: `refund-notifications`."""
    return (
        segment in WEBHOOK_SEGMENTS
        or segment.startswith("webhook")
        or any(segment.endswith(f"-{word}") for word in WEBHOOK_SEGMENTS)
    )


def _calls_the_api(op: Operation) -> bool:
    """The operation requires the API's own credentials on itself: a client calls it."""
    own = op.node.get("security")
    return (
        isinstance(own, list)
        and bool(own)
        and all(isinstance(requirement, dict) and requirement for requirement in own)
    )


def _check(op: Operation) -> Iterator[Problem]:
    signed = [
        param
        for param in op.parameters
        if param.location == "header"
        and any(word in param.name.lower() for word in SIGNATURE_WORDS)
    ]
    if any(param.required for param in signed):
        return
    if signed:
        yield Problem(
            signed[0].pointer,
            f"signature header `{signed[0].name}` is optional; webhooks must require it "
            "(`required: true`)",
        )
        return
    yield Problem(
        op.pointer,
        f"webhook `{op.name}` has no signature header; declare a required `in: header` "
        "parameter whose name contains `signature` or `hmac`",
    )


def _sent_webhooks(contract: Contract) -> Iterator[Operation]:
    """The operations of OpenAPI 3.1 `webhooks`: requests this API sends to subscribers."""
    webhooks: Any = contract.document.get("webhooks")
    if not isinstance(webhooks, dict):
        return
    for name, raw in webhooks.items():
        pointer = join_pointer(["webhooks", str(name)])
        node = contract.deref(raw)
        if not isinstance(node, dict):
            continue
        item = PathItem(str(name), node, pointer)
        for method in HTTP_METHODS:
            if isinstance(node.get(method), dict):
                yield Operation(contract, item, method, node[method], f"{pointer}/{method}")


RULES = (webhook_signature_header,)
