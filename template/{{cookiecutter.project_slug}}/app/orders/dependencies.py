from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Request

from app.auth.dependencies import CurrentPrincipal
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.errors import BadRequest
from app.orders.pricing import HoldLimits
from app.orders.service import OrderService, Viewer
from app.stock.backend import StockBackend

KEY_LENGTH = range(8, 256)


async def get_stock_backend(request: Request) -> StockBackend:
    stock: StockBackend = request.app.state.stock
    return stock


async def get_order_service(request: Request, session: SessionDep) -> OrderService:
    settings: Settings = request.app.state.settings
    return OrderService(
        session,
        request.app.state.stock,
        payment_window=timedelta(seconds=settings.order_payment_window),
        idempotency_ttl=timedelta(seconds=settings.idempotency_ttl),
        product_cache=request.app.state.product_cache,
        hold_limits=HoldLimits(settings.max_pending_orders, settings.max_held_units_per_product),
        sold_out=request.app.state.sold_out,
        batches=request.app.state.order_batches,
    )


OrderServiceDep = Annotated[OrderService, Depends(get_order_service)]


async def get_viewer(principal: CurrentPrincipal) -> Viewer:
    return Viewer(user_id=principal.user_id, admin=principal.admin)


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]


async def get_idempotency_key(
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> str:
    """The contract requires the header; a missing or malformed one is a bad request (400,
    as the idempotency draft says), not a validation failure of the body (422)."""
    if idempotency_key is None or len(idempotency_key) not in KEY_LENGTH:
        raise BadRequest(
            "Idempotency-Key header is required (8 to 255 characters)",
            data={
                "errors": [
                    {
                        "field": "header.Idempotency-Key",
                        "message": "Send a unique key per order, e.g. a UUID.",
                        "type": "missing" if idempotency_key is None else "string_length",
                    }
                ]
            },
        )
    return idempotency_key


IdempotencyKey = Annotated[str, Depends(get_idempotency_key)]
