"""Handlers of the order operations: every one needs a signed-in user.

createOrder answers with the recorded bytes of its first answer, so a retry with the same
`Idempotency-Key` gets exactly what the first request got; the others return typed models.
"""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from app.api import operations as ops
from app.api.binding import Handler
from app.core.envelope import Envelope, ok
from app.core.ratelimit import RateLimitsDep
from app.orders.dependencies import CurrentViewer, IdempotencyKey, OrderServiceDep
from app.orders.idempotency import fingerprint
from app.orders.service import LineRequest

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
    answer = await orders.place(
        viewer.user_id,
        [LineRequest(item.product_id, item.quantity, item.model_dump()) for item in body.items],
        body.note,
        fields=body.model_dump(),
        idempotency_key=key,
        fingerprint=fingerprint("POST", request.url.path, body.model_dump(mode="json")),
    )
    headers = {REPLAYED_HEADER: "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


async def list_orders(
    params: ops.ListOrdersParamsDep, viewer: CurrentViewer, orders: OrderServiceDep
) -> Envelope[ops.ListOrdersData]:
    rows, total = await orders.list_for(
        viewer,
        page=params.page,
        limit=params.limit,
        status=getattr(params, "status", None),
        source=getattr(params, "source", None),
    )
    return ok(
        ops.ListOrdersData(
            items=[ops.GetOrderData.model_validate(row, from_attributes=True) for row in rows],
            total=total,
            page=params.page,
            limit=params.limit,
        )
    )


async def get_order(
    params: ops.GetOrderParamsDep, viewer: CurrentViewer, orders: OrderServiceDep
) -> Envelope[ops.GetOrderData]:
    order = await orders.get(params.order_id, viewer)
    return ok(ops.GetOrderData.model_validate(order, from_attributes=True))


async def cancel_order(
    params: ops.CancelOrderParamsDep, viewer: CurrentViewer, orders: OrderServiceDep
) -> Envelope[ops.CancelOrderData]:
    order = await orders.get(params.order_id, viewer)
    cancelled = await orders.cancel(order, "staff" if viewer.admin else "customer")
    return ok(ops.CancelOrderData.model_validate(cancelled, from_attributes=True))


HANDLERS: dict[str, Handler] = {
    "createOrder": create_order,
    "listOrders": list_orders,
    "getOrder": get_order,
    "cancelOrder": cancel_order,
}
