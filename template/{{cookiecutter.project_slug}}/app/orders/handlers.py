"""Handlers of the order operations: every one needs a signed-in user.

createOrder answers with the recorded bytes of its first answer, so a retry with the same
`Idempotency-Key` gets exactly what the first request got; the others return typed models.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import CurrentAdmin
from app.core.envelope import Envelope, ok
from app.core.errors import FieldErrors, field_error
from app.core.ratelimit import RateLimitsDep
from app.orders import sold_out
from app.orders.dependencies import CurrentViewer, IdempotencyKey, OrderServiceDep
from app.orders.export import CSV_MEDIA_TYPE, export_rows
from app.orders.idempotency import fingerprint
from app.orders.pricing import LineRequest
from app.orders.service import OrderFilters

REPLAYED_HEADER = "Idempotent-Replayed"


async def create_order(
    request: Request,
    body: ops.CreateOrderBody,
    key: IdempotencyKey,
    viewer: CurrentViewer,
    orders: OrderServiceDep,
    limits: RateLimitsDep,
) -> Response:
    await limits.hit("checkout", "account", f"user:{viewer.user_id}")
    lines = [
        LineRequest(
            getattr(item, "variant_id", None),
            getattr(item, "product_id", None),
            item.quantity,
            item.model_dump(),
        )
        for item in body.items
    ]
    answer = await orders.place(
        viewer.user_id,
        lines,
        body.note,
        address_id=getattr(body, "address_id", None),
        fields=body.model_dump(),
        idempotency_key=key,
        fingerprint=fingerprint("POST", request.url.path, body.model_dump(mode="json")),
        gated=bool(request.scope.get(sold_out.PASSED)),
    )
    headers = {REPLAYED_HEADER: "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


def _moment(params: object, name: str) -> datetime | None:
    """A `date-time` query parameter: RFC 3339, so with an offset; 422 otherwise."""
    raw = getattr(params, name, None)
    if raw is None or isinstance(raw, datetime):
        return raw
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        message = "Give an RFC 3339 time with an offset, e.g. 2025-03-01T00:00:00+08:00."
        raise FieldErrors([field_error(f"query.{name}", message, "datetime_parsing")])
    return moment


def _filters(params: object) -> OrderFilters:
    """The filters a listing's parameters carry; a contract may declare fewer of them."""
    return OrderFilters(
        status=getattr(params, "status", None),
        source=getattr(params, "source", None),
        user_id=getattr(params, "user_id", None),
        created_from=_moment(params, "created_from"),
        created_to=_moment(params, "created_to"),
        has_refund=getattr(params, "has_refund", None),
        shipping_status=getattr(params, "shipping_status", None),
    )


async def list_orders(
    params: ops.ListOrdersParamsDep, viewer: CurrentViewer, orders: OrderServiceDep
) -> Envelope[ops.ListOrdersData]:
    rows, total = await orders.list_for(
        viewer, page=params.page, limit=params.limit, filters=_filters(params)
    )
    page = {"items": rows, "total": total, "page": params.page, "limit": params.limit}
    return ok(ops.ListOrdersData.model_validate(page, from_attributes=True))


async def get_order(
    params: ops.GetOrderParamsDep, viewer: CurrentViewer, orders: OrderServiceDep
) -> Envelope[ops.GetOrderData]:
    order = await orders.detail(params.order_id, viewer)
    return ok(ops.GetOrderData.model_validate(order, from_attributes=True))


async def cancel_order(
    params: ops.CancelOrderParamsDep, viewer: CurrentViewer, orders: OrderServiceDep
) -> Envelope[ops.CancelOrderData]:
    order = await orders.get(params.order_id, viewer)
    cancelled = await orders.cancel(order, "staff" if viewer.admin else "customer")
    return ok(ops.CancelOrderData.model_validate(cancelled, from_attributes=True))


async def export_orders(
    params: ops.ExportOrdersParamsDep, _: CurrentAdmin, request: Request
) -> StreamingResponse:
    """A CSV of every line of the orders placed in the range, streamed in batches so a year
    of orders never sits in memory. The stream reads through its own session: the request's
    closes when the handler returns."""
    filters = _filters(params)
    name = f"orders-{filters.created_from:%Y%m%d}-{filters.created_to:%Y%m%d}.csv"
    return StreamingResponse(
        export_rows(request.app.state.sessionmaker, filters),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


HANDLERS: dict[str, Handler] = {
    "createOrder": create_order,
    "listOrders": list_orders,
    "getOrder": get_order,
    "cancelOrder": cancel_order,
    "exportOrders": export_orders,
}
