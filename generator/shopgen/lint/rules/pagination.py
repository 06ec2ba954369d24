"""House rules: pagination of list endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shopgen.contract import Contract, Operation

from .._rule import Problem, rule

__all__ = ["RULES"]

MAX_LIMIT = 100


@rule(
    "list-pagination",
    default="error",
    good="""
    paths:
      /api/v1/orders:
        get:
          operationId: listOrders
          summary: List orders
          tags: [products]
          parameters:
            - {name: cursor, in: query, schema: {type: string}}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 50}}
          responses:
            '200':
              description: A page of orders.
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Envelope'
                      - type: object
                        properties:
                          data:
                            type: object
                            required: [items, next_cursor]
                            properties:
                              items: {type: array, items: {type: object}}
                              next_cursor: {type: [string, 'null']}
            '401':
              $ref: '#/components/responses/Unauthorized'
    """,
    bad="""
    components:
      parameters:
        limit:
          name: limit
          in: query
          schema: {type: integer, minimum: 1, maximum: 1000}
    """,
    at="/paths/~1api~1v1~1products/get/parameters/1",
)
def list_pagination(contract: Contract) -> Iterator[Problem]:
    """A list endpoint takes `limit` (at most 100) and `page` or `cursor`, and returns a page.

    An unbounded list is a denial of service waiting for the catalogue to grow, and a client
    that cannot tell how many pages remain cannot draw a pager. A list is a GET whose
    operationId starts with `list` or whose path is a collection (`/products` beside
    `/products/{product_id}`). It must take an integer `limit` query parameter whose `maximum`
    is at most 100, and `page` or `cursor`. Its 200 JSON response's `data` must hold `items`
    (an array) and, for each paging style it takes, `total` (page paging: an integer count)
    or `next_cursor` (cursor paging; null on the last page). A list whose 200 response is
    not JSON is left to `response-envelope`. A shared `limit` component is reported where
    each list uses it, so that an operation's `x-shopgen-ignore` can silence it.
    """
    reported: set[tuple[str, str]] = set()
    for op in contract.operations:
        if op.method != "get" or not _is_list(contract, op):
            continue
        for problem in _check(contract, op):
            key = (problem.pointer, problem.message)
            if key not in reported:
                reported.add(key)
                yield problem


def _is_list(contract: Contract, op: Operation) -> bool:
    operation_id = op.operation_id or ""
    starts_with_list = operation_id.startswith("list") and (
        len(operation_id) == 4 or not operation_id[4].islower()
    )
    return starts_with_list or contract.is_collection(op.path)


def _check(contract: Contract, op: Operation) -> Iterator[Problem]:
    limit = op.parameter("limit", "query")
    if limit is None:
        yield Problem(
            op.pointer,
            f"list `{op.name}` has no `limit` query parameter; "
            f"declare `limit: integer` with `maximum` ≤ {MAX_LIMIT}",
        )
    else:
        types = contract.schema_types(limit.schema)
        maximum = _maximum(contract, limit.schema)
        if "integer" not in types:
            shown = "`, `".join(sorted(types)) or "untyped"
            yield Problem(
                limit.pointer, f"`limit` is `{shown}`; it must be an integer ≤ {MAX_LIMIT}"
            )
        elif maximum is None:
            yield Problem(limit.pointer, f"`limit` has no `maximum`; cap it at {MAX_LIMIT} or less")
        elif maximum > MAX_LIMIT:
            yield Problem(
                limit.pointer, f"`limit` allows `{maximum}`; the maximum is {MAX_LIMIT} or less"
            )
    paged = op.parameter("page", "query") is not None
    cursored = op.parameter("cursor", "query") is not None
    if not paged and not cursored:
        yield Problem(
            op.pointer,
            f"list `{op.name}` takes neither `page` nor `cursor`; declare one as a query parameter",
        )
        paged = True  # still check the response against the default paging style
    for media in op.response_media("200"):
        if not media.is_json:
            continue
        data: dict[str, Any] = {}
        for schema in contract.property_schemas(media.schema, "data"):
            properties = contract.schema_view(schema)[0]
            data.update({k: v for k, v in properties.items() if k not in data})
        where = f"`data` of the `200` `{media.media_type}` response"
        if "items" not in data:
            yield Problem(media.pointer, f"{where} has no `items`; a page holds `items: array`")
        elif "array" not in contract.schema_types(data["items"]):
            yield Problem(media.pointer, f"`items` in {where} is not an array")
        if paged and "total" not in data:
            yield Problem(
                media.pointer, f"{where} has no `total`; page paging returns the item count"
            )
        elif paged and not contract.schema_types(data["total"]) <= {"integer", "null"}:
            yield Problem(media.pointer, f"`total` in {where} is not an integer count")
        if cursored and "next_cursor" not in data:
            yield Problem(
                media.pointer,
                f"{where} has no `next_cursor`; cursor paging returns it (null on the last page)",
            )


def _maximum(contract: Contract, schema: Any) -> float | None:
    node = contract.deref(schema)
    if not isinstance(node, dict):
        return None
    found = node.get("maximum")
    if isinstance(found, int | float) and not isinstance(found, bool):
        return found
    exclusive = node.get("exclusiveMaximum")  # 3.1: a number; 3.0: a flag beside `maximum`
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        return exclusive - 1
    for member in node.get("allOf", []) if isinstance(node.get("allOf"), list) else []:
        found = _maximum(contract, member)
        if found is not None:
            return found
    return None


RULES = (list_pagination,)
