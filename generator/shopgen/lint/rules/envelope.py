"""House rules: the `{code, data, msg}` response envelope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shopgen.contract import Contract, join_pointer

from .._rule import Problem, rule

__all__ = ["RULES"]

# Statuses that never carry a body (RFC 9110 §15.3.5, §15.4.5).
NO_BODY = {"204", "304"}
ENVELOPE = "`{code: integer, data, msg: string}`"


@rule(
    "response-envelope",
    default="error",
    good="""
    paths:
      /api/v1/products/{product_id}:
        delete:
          operationId: deleteProduct
          summary: Delete a product
          tags: [products]
          responses:
            '204':
              description: Deleted; no body.
            '401':
              $ref: '#/components/responses/Unauthorized'
            '404':
              $ref: '#/components/responses/NotFound'
    """,
    bad="""
    paths:
      /api/v1/products/{product_id}:
        get:
          responses:
            '200':
              description: The bare product.
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Product'
    """,
    at="/paths/~1api~1v1~1products~1{product_id}/get/responses/200",
)
def response_envelope(contract: Contract) -> Iterator[Problem]:
    """Every JSON response is the envelope `{code: integer, data, msg: string}`.

    Clients of a shop API (mini-programs, storefronts, back offices) branch on `code` before
    they read `data`; one shape for success and failure means one parser and no guessing
    which responses are wrapped. JSON is `application/json` or any `+json` type, so
    `application/problem+json` must be enveloped too. The schema must be an object (refs
    followed, `allOf` merged) requiring `code` (integer), `data` (any schema, null allowed)
    and `msg` (string); a `oneOf`/`anyOf` response must be an envelope in every branch. A
    JSON media type without a schema is reported, since nothing then promises the shape.
    `204` and `304` have no body: declaring `content` on them is reported as well. A shared
    response component is reported where an operation uses it, so that the operation's
    `x-shopgen-ignore` can silence it (a provider's callback that must answer in the
    provider's format, say).
    """
    for op in contract.operations:
        for status in op.responses:
            where = f"{op.pointer}/responses/{join_pointer([status])[1:]}"
            media_types = op.response_media(status)
            if status in NO_BODY:
                if media_types:
                    yield Problem(
                        where,
                        f"`{status}` declares `content`; a `{status}` response has no body",
                    )
                continue
            for media in media_types:
                if not media.is_json:
                    continue
                if media.schema is None:
                    yield Problem(
                        where,
                        f"`{status}` `{media.media_type}` has no schema; "
                        f"JSON responses are the envelope {ENVELOPE}",
                    )
                    continue
                missing = _envelope_problem(contract, media.schema, 0)
                if missing:
                    yield Problem(
                        where,
                        f"`{status}` `{media.media_type}` is not the envelope: {missing}; "
                        f"JSON responses are {ENVELOPE}",
                    )


def _envelope_problem(contract: Contract, schema: Any, depth: int) -> str | None:
    """What keeps a schema from being the envelope, or None."""
    node = contract.deref(schema)
    if not isinstance(node, dict):
        return "the schema is not an object"
    branches = node.get("oneOf") or node.get("anyOf")
    if isinstance(branches, list) and branches and "properties" not in node and depth < 8:
        for branch in branches:
            problem = _envelope_problem(contract, branch, depth + 1)
            if problem:
                return f"a `oneOf`/`anyOf` branch: {problem}"
        return None
    properties, required, types = contract.schema_view(node)
    if types and "object" not in types:
        return f"the schema is `{'`, `'.join(sorted(types))}`, not an object"
    missing = [name for name in ("code", "data", "msg") if name not in required]
    if missing:
        return f"`{'`, `'.join(missing)}` not required"
    code_types = contract.schema_types(properties.get("code"))
    if code_types != {"integer"}:
        shown = "`, `".join(sorted(code_types)) or "untyped"
        return f"`code` is `{shown}`, not `integer`"
    msg_types = contract.schema_types(properties.get("msg"))
    if msg_types != {"string"}:
        shown = "`, `".join(sorted(msg_types)) or "untyped"
        return f"`msg` is `{shown}`, not `string`"
    return None


RULES = (response_envelope,)
