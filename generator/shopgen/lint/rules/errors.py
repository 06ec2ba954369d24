"""House rules: the error responses an operation can produce are documented."""

from __future__ import annotations

from collections.abc import Iterator

from shopgen.contract import Contract, Operation

from .._rule import Problem, rule

__all__ = ["RULES"]


@rule(
    "error-responses",
    default="warn",
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
    """Operations document the errors they will return: 401, 404, 422 or 400.

    Generated clients only map documented statuses to typed errors; an undocumented 401
    surfaces as "unexpected response" instead of sending the shopper to sign in. An
    operation whose effective security is not empty (and which is not explicitly public)
    must declare `401`; one with a path parameter (its product, order or payment may not
    exist) must declare `404`; one with a request body must declare `422` or `400` for a
    body that does not validate. A range (`4XX`) counts for every status in it; `default`
    does not, since it says nothing about which failures happen. Each missing status is one
    finding at the operation's `responses`.
    """
    for op in contract.operations:
        declared = set(op.responses)
        where = f"{op.pointer}/responses" if "responses" in op.node else op.pointer
        for statuses, why in _expected(op):
            if not any(_covers(declared, status) for status in statuses):
                shown = "` or `".join(statuses)
                yield Problem(where, f"`{op.name}` does not declare `{shown}` ({why})")


def _expected(op: Operation) -> Iterator[tuple[tuple[str, ...], str]]:
    if not op.is_explicitly_public and any(op.security):
        yield ("401",), "it requires authentication"
    has_path_param = bool(op.path.template_params) or any(
        param.location == "path" for param in op.parameters
    )
    if has_path_param:
        yield ("404",), "its path names a resource that may not exist"
    if op.request_body is not None:
        yield ("422", "400"), "its request body may not validate"


def _covers(declared: set[str], status: str) -> bool:
    return bool({status, f"{status[0]}XX", f"{status[0]}xx"} & declared)


RULES = (error_responses,)
