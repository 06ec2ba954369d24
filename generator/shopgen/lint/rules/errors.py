"""House rules: the error responses an operation can produce are documented."""

from __future__ import annotations

from collections.abc import Iterator

from shopgen.contract import Contract, Operation

from .._rule import Problem, rule

__all__ = ["CONFIGURED_OPERATIONS", "RATE_LIMITED_OPERATIONS", "RULES"]


# What the generated service does, by operationId, beyond what every operation does: these
# operations are rate-limited (429), and these answer 501 until the server is configured for
# them (WeChat login, a payment channel, Shopify). Kept equal to the template's tables by tests.
RATE_LIMITED_OPERATIONS = frozenset(
    {
        "createToken",
        "registerUser",
        "refreshToken",
        "createWechatSession",
        "createOrder",
        "createPayment",
    }
)
CONFIGURED_OPERATIONS = frozenset(
    {
        "createWechatSession",
        "createPayment",
        "receiveWechatPayNotification",
        "receiveWechatPayRefundNotification",
        "receiveShopifyWebhook",
    }
)
# Operations that read their raw body to check a signature: nothing validates it against a
# schema, so they never answer 422 for it.
RAW_BODY_OPERATIONS = frozenset(
    {"receiveWechatPayNotification", "receiveWechatPayRefundNotification", "receiveShopifyWebhook"}
)
RAW_BODY_EXTENSION = "x-shopgen-raw-body"


@rule(
    "error-responses",
    default="error",
    good="""
    paths:
      /api/v1/products/{product_id}:
        patch:
          operationId: updateProduct
          summary: Update a product
          tags: [products]
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object}
          responses:
            '200':
              description: Updated.
            '4XX':
              $ref: '#/components/responses/ValidationFailed'
            '503':
              description: The database is unavailable; retry after `Retry-After` seconds.
    """,
    bad="""
    paths:
      /api/v1/products/{product_id}:
        delete:
          operationId: deleteProduct
          summary: Delete a product
          tags: [products]
          responses:
            '204':
              description: Deleted.
    """,
    at="/paths/~1api~1v1~1products~1{product_id}/delete/responses",
)
def error_responses(contract: Contract) -> Iterator[Problem]:
    """Operations document every error a generated service gives them.

    A contract-first service may answer only what its contract describes; generated clients
    map documented statuses to typed errors, and an undocumented one surfaces as "unexpected
    response". What shopgen's service answers, so what the contract must declare:

    - `401` where the effective security is not empty (and the operation is not public);
    - `404` where the path names a resource that may not exist;
    - `422` where a parameter or the body is validated against its schema (not for
      operations that read their raw body to check a signature);
    - `400` (malformed JSON, a duplicate key) and `413` (a body over the size limit) for
      any request body;
    - `429` for the operations it rate-limits (logins, registration, token refresh,
      WeChat login, orders, payments);
    - `501` for the operations that need configuration the server may lack (WeChat login,
      payments, the WeChat Pay and Shopify callbacks);
    - `503` everywhere: the database (or Redis, or an upstream) may be unavailable.

    A range (`4XX`) counts for every status in it; `default` does not, since it says nothing
    about which failures happen. Each missing status is one finding at the operation's
    `responses`.
    """
    for op in contract.operations:
        declared = set(op.responses)
        where = f"{op.pointer}/responses" if "responses" in op.node else op.pointer
        for status, why in _expected(op):
            if not _covers(declared, status):
                yield Problem(where, f"`{op.name}` does not declare `{status}` ({why})")


def _expected(op: Operation) -> Iterator[tuple[str, str]]:
    if not op.is_explicitly_public and any(op.security):
        yield "401", "it requires authentication"
    has_path_param = bool(op.path.template_params) or any(
        param.location == "path" for param in op.parameters
    )
    if has_path_param:
        yield "404", "its path names a resource that may not exist"
    raw_body = op.operation_id in RAW_BODY_OPERATIONS or op.node.get(RAW_BODY_EXTENSION) is True
    if op.request_body is not None:
        yield "400", "its request body may be malformed JSON"
    if not raw_body and (op.request_body is not None or op.parameters):
        yield "422", "its input may not validate"
    if op.request_body is not None:
        yield "413", "its request body may be over the size limit"
    if op.operation_id in RATE_LIMITED_OPERATIONS:
        yield "429", "the service rate-limits it"
    if op.operation_id in CONFIGURED_OPERATIONS:
        yield "501", "it answers 501 until the server is configured for it"
    yield "503", "its database or another dependency may be unavailable"


def _covers(declared: set[str], status: str) -> bool:
    return bool({status, f"{status[0]}XX", f"{status[0]}xx"} & declared)


RULES = (error_responses,)
