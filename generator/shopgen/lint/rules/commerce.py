"""House rules: the commerce model - orders buy variants, money-moving writes are idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shopgen.contract import Contract, Operation, join_pointer

from .._rule import Problem, rule

__all__ = ["RULES"]

# Array properties of an order-creating body that hold its lines.
LINE_ARRAYS = ("items", "lines", "line_items")
VARIANT_SEGMENT = "variants"
# Collections whose POST moves money: a retried request must not charge or refund twice.
MONEY_COLLECTIONS = frozenset({"orders", "refunds"})
IDEMPOTENCY_HEADER = "idempotency-key"


@rule(
    "order-lines-name-variants",
    default="warn",
    good="""
    paths:
      /api/v1/products/{product_id}/variants:
        get:
          operationId: listProductVariants
          responses: {'200': {description: OK}}
      /api/v1/orders:
        post:
          operationId: createOrder
          requestBody:
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/OrderCreate'
          responses: {'201': {description: Placed}}
    components:
      schemas:
        OrderCreate:
          type: object
          properties:
            items:
              type: array
              items:
                $ref: '#/components/schemas/OrderLine'
        OrderLine:
          type: object
          required: [quantity]
          properties:
            variant_id: {type: integer}
            product_id: {type: integer}
            quantity: {type: integer, minimum: 1}
    """,
    bad="""
    paths:
      /api/v1/products/{product_id}/variants:
        get:
          operationId: listProductVariants
          responses: {'200': {description: OK}}
      /api/v1/orders:
        post:
          operationId: createOrder
          requestBody:
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/OrderCreate'
          responses: {'201': {description: Placed}}
    components:
      schemas:
        OrderCreate:
          type: object
          properties:
            items:
              type: array
              items:
                $ref: '#/components/schemas/OrderLine'
        OrderLine:
          type: object
          required: [product_id, quantity]
          properties:
            product_id: {type: integer}
            quantity: {type: integer, minimum: 1}
    """,
    at="/components/schemas/OrderLine",
)
def order_lines_name_variants(contract: Contract) -> Iterator[Problem]:
    """When products have variants, an order line can name the variant it buys.

    A T-shirt in three sizes is one product and three things to sell, each with its own SKU,
    price and stock; a line that can only say `product_id` leaves the service to guess the
    size, and the warehouse ships the wrong one. A contract sells variants when a path has a
    `variants` segment or a schema has a `variants` array. Then every line of an order-creating
    request (the `items`, `lines` or `line_items` array of the JSON body of a POST on an
    `orders` collection) that has a `product_id` must also have a `variant_id` property
    (`product_id` may stay, for products with one variant). Reported where the line schema is
    written, once however many operations use it.
    """
    if not _sells_variants(contract):
        return
    reported: set[str] = set()
    for op in contract.operations:
        if op.method != "post" or _collection(op) != "orders":
            continue
        for media in op.request_media:
            if not media.is_json or media.schema is None:
                continue
            for line, pointer in _line_schemas(contract, media.schema, media.pointer + "/schema"):
                properties = contract.schema_view(line)[0]
                if "product_id" in properties and "variant_id" not in properties:
                    if pointer in reported:
                        continue
                    reported.add(pointer)
                    yield Problem(
                        pointer,
                        f"order line of `{op.name}` names `product_id` but has no `variant_id`; "
                        "the contract sells variants, so a line must be able to name one",
                    )


def _sells_variants(contract: Contract) -> bool:
    if any(VARIANT_SEGMENT in item.literal_segments for item in contract.paths):
        return True
    return any(
        node.name == VARIANT_SEGMENT and "array" in contract.schema_types(node.schema)
        for node in contract.schemas
    )


def _collection(op: Operation) -> str | None:
    """The collection a POST adds to: the last segment, when it is literal."""
    segments = op.path.segments
    if not segments or segments[-1].startswith("{"):
        return None
    return segments[-1]


def _line_schemas(contract: Contract, body: Any, pointer: str) -> Iterator[tuple[Any, str]]:
    """Each order-line schema of a request body, with the pointer where it is written."""
    schema, where = contract.deref_pointer(body, pointer)
    if not isinstance(schema, dict):
        return
    written = schema.get("properties")
    properties = contract.schema_view(schema)[0]
    for name in LINE_ARRAYS:
        array = properties.get(name)
        if array is None:
            continue
        # A property merged in from `allOf` is reported at the body that merges it.
        direct = isinstance(written, dict) and name in written
        at = f"{where}/properties{join_pointer([name])}" if direct else where
        array_node, array_where = contract.deref_pointer(array, at)
        if not isinstance(array_node, dict) or "items" not in array_node:
            continue
        line, line_where = contract.deref_pointer(array_node["items"], f"{array_where}/items")
        if isinstance(line, dict):
            yield line, line_where


@rule(
    "idempotent-money-writes",
    default="error",
    good="""
    paths:
      /api/v1/orders/{order_id}/refunds:
        post:
          operationId: createRefund
          parameters:
            - {name: order_id, in: path, required: true, schema: {type: integer}}
            - {name: Idempotency-Key, in: header, required: true, schema: {type: string}}
          responses: {'201': {description: Refunded}}
    """,
    bad="""
    paths:
      /api/v1/orders/{order_id}/refunds:
        post:
          operationId: createRefund
          parameters:
            - {name: order_id, in: path, required: true, schema: {type: integer}}
          responses: {'201': {description: Refunded}}
    """,
    at="/paths/~1api~1v1~1orders~1{order_id}~1refunds/post",
)
def idempotent_money_writes(contract: Contract) -> Iterator[Problem]:
    """Creating an order or a refund requires an `Idempotency-Key` header.

    Mobile networks drop answers, and every client retries: without a key the server cannot
    tell a retry from a second purchase, so a flaky connection charges a customer twice or
    refunds a shop twice (IETF draft-ietf-httpapi-idempotency-key-header). A POST on an
    `orders` or `refunds` collection (the last path segment; `/orders`,
    `/orders/{order_id}/refunds`) must declare an `in: header` parameter named
    `Idempotency-Key` (any case) with `required: true`, on the operation or its path item.
    """
    for op in contract.operations:
        collection = _collection(op)
        if op.method != "post" or collection not in MONEY_COLLECTIONS:
            continue
        key = next(
            (
                param
                for param in op.parameters
                if param.location == "header" and param.name.lower() == IDEMPOTENCY_HEADER
            ),
            None,
        )
        what = "an order" if collection == "orders" else "a refund"
        if key is None:
            yield Problem(
                op.pointer,
                f"`{op.name}` creates {what} but takes no `Idempotency-Key` header; declare it "
                "required so a retry cannot charge or refund twice",
            )
        elif not key.required:
            yield Problem(
                key.pointer,
                f"`Idempotency-Key` of `{op.name}` is optional; make it `required: true` so "
                "every retry of this money-moving write can be recognised",
            )


RULES = (order_lines_name_variants, idempotent_money_writes)
