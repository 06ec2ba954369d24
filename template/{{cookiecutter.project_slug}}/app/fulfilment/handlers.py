"""Handlers of the fulfilment operations: admins ship, customers confirm receipt."""

from __future__ import annotations

from fastapi import BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse

from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import CurrentAdmin
from app.core.config import Settings
from app.core.envelope import Envelope, ok
from app.fulfilment.dependencies import FulfilmentServiceDep
from app.fulfilment.sync import PENDING, sync_shipment
from app.orders.dependencies import CurrentViewer
from app.orders.handlers import REPLAYED_HEADER


async def create_shipment(
    params: ops.CreateShipmentParamsDep,
    body: ops.CreateShipmentBody,
    admin: CurrentAdmin,
    fulfilment: FulfilmentServiceDep,
    background: BackgroundTasks,
    request: Request,
) -> Response:
    """201 with the parcel, or the one already recorded under its tracking number (with
    `Idempotent-Replayed: true`). A parcel of a WeChat Pay order is reported to WeChat right
    after the answer; the upkeep job retries what that attempt could not do."""
    recorded = await fulfilment.create(admin, params.order_id, body.model_dump(exclude_unset=True))
    shipment = recorded.shipment
    uploader = getattr(request.app.state, "shipping_uploader", None)
    if shipment.wechat_sync_status == PENDING and uploader is not None and not recorded.replayed:
        settings: Settings = request.app.state.settings
        background.add_task(
            sync_shipment,
            request.app.state.sessionmaker,
            uploader,
            shipment.id,
            max_attempts=settings.shipping_sync_attempts,
        )
    data = ops.CreateShipmentData.model_validate(shipment, from_attributes=True)
    headers = {REPLAYED_HEADER: "true"} if recorded.replayed else None
    return JSONResponse(
        ok(data).model_dump(mode="json"), status_code=201, headers=headers, background=background
    )


async def list_shipments(
    params: ops.ListShipmentsParamsDep, viewer: CurrentViewer, fulfilment: FulfilmentServiceDep
) -> Envelope[ops.ListShipmentsData]:
    page = await fulfilment.list(params.order_id, viewer, page=params.page, limit=params.limit)
    return ok(
        ops.ListShipmentsData.model_validate(
            {"items": page.items, "total": page.total, "page": params.page, "limit": params.limit},
            from_attributes=True,
        )
    )


async def confirm_receipt(
    params: ops.ConfirmReceiptParamsDep, viewer: CurrentViewer, fulfilment: FulfilmentServiceDep
) -> Envelope[ops.ConfirmReceiptData]:
    order = await fulfilment.confirm_receipt(params.order_id, viewer)
    return ok(ops.ConfirmReceiptData.model_validate(order, from_attributes=True))


HANDLERS: dict[str, Handler] = {
    "createShipment": create_shipment,
    "listShipments": list_shipments,
    "confirmReceipt": confirm_receipt,
}
