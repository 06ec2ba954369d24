"""Shipping an order in one or more parcels, and confirming receipt.

A parcel takes its units from its lines with conditional updates (shipped plus refunded
never above the quantity), in one transaction with the order row locked, so two parcels at
once cannot ship the same unit and the order's status moves once: `paid` →
`partially_shipped` → `shipped`. The carrier and tracking number identify a parcel: sending
the same parcel again answers the one recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.db import utcnow
from app.core.errors import (
    Code,
    Conflict,
    FieldErrors,
    ForeignReference,
    ShopError,
    field_error,
)
from app.fulfilment import contract_fields, item_contract_fields
from app.fulfilment.models import Shipment, ShipmentItem
from app.orders.models import Order, OrderItem
from app.orders.pricing import MAX_AMOUNT
from app.orders.service import OrderNotFound, OrderService, Viewer
from app.orders.state import SHIPPABLE, IllegalTransition, OrderStatus, shipping_target
from app.payments.models import Payment

NOT_REQUIRED, PENDING, FAILED = "not_required", "pending", "failed"


class ShipmentExceeds(ShopError):
    status_code, code, msg = 409, Code.SHIPMENT_EXCEEDS, "Shipment exceeds what is left to ship"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(data={"errors": [field_error(field, message, "exceeds_unshipped")]})


class TrackingTaken(Conflict):
    msg = "This tracking number is already recorded with other lines"

    def __init__(self) -> None:
        message = "This tracking number is already recorded with other lines."
        super().__init__(data={"errors": [field_error("tracking_number", message, "duplicate")]})


@dataclass(frozen=True, slots=True)
class Recorded:
    shipment: Shipment
    replayed: bool


@dataclass(frozen=True, slots=True)
class ShipmentPage:
    items: list[Shipment]
    total: int


def _with_items() -> Any:
    return select(Shipment).options(selectinload(Shipment.items))


class FulfilmentService:
    def __init__(
        self, session: AsyncSession, orders: OrderService, *, wechat_shipping: bool
    ) -> None:
        self.session = session
        self._orders = orders
        # Whether parcels of WeChat Pay orders can be reported (the mini-program's app id and
        # secret are set); without it they are recorded as failed to report, and why.
        self._wechat_shipping = wechat_shipping

    async def list(self, order_id: int, viewer: Viewer, *, page: int, limit: int) -> ShipmentPage:
        await self._orders.get(order_id, viewer)
        total = await self.session.scalar(
            select(func.count(Shipment.id)).where(Shipment.order_id == order_id)
        )
        if (page - 1) * limit > MAX_AMOUNT:
            return ShipmentPage([], total or 0)  # past the end, and past what OFFSET takes
        rows = await self.session.scalars(
            _with_items()
            .where(Shipment.order_id == order_id)
            .order_by(Shipment.id)
            .offset((page - 1) * limit)
            .limit(limit)
        )
        return ShipmentPage(list(rows), total or 0)

    async def _existing(self, order_id: int, carrier: str, tracking: str) -> Shipment | None:
        found: Shipment | None = await self.session.scalar(
            _with_items()
            .where(
                Shipment.order_id == order_id,
                Shipment.carrier_code == carrier,
                Shipment.tracking_number == tracking,
            )
            .execution_options(populate_existing=True)
        )
        return found

    async def create(self, admin: User, order_id: int, fields: Mapping[str, Any]) -> Recorded:
        """Record a parcel, or answer the one recorded with the same carrier and tracking
        number; a refusal changes nothing."""
        try:
            return await self._create(admin, order_id, fields)
        except ShopError:
            await self.session.rollback()
            raise

    async def _create(self, admin: User, order_id: int, fields: Mapping[str, Any]) -> Recorded:
        carrier, tracking = str(fields["carrier_code"]), str(fields["tracking_number"])
        order: Order | None = await self.session.scalar(
            select(Order)
            .options(selectinload(Order.items))
            .where(Order.id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if order is None:
            raise OrderNotFound()
        requested = fields.get("items")
        existing = await self._existing(order.id, carrier, tracking)
        if existing is not None:
            return self._replay(existing, order, requested)
        if order.status not in SHIPPABLE:
            raise IllegalTransition(order.status, OrderStatus.SHIPPED)
        lines = _lines(order, requested)
        for index, (item, quantity, _) in enumerate(lines):
            shipped = await self.session.execute(
                update(OrderItem)
                .where(
                    OrderItem.id == item.id,
                    OrderItem.shipped_quantity + OrderItem.refunded_quantity + quantity
                    <= OrderItem.quantity,
                )
                .values(shipped_quantity=OrderItem.shipped_quantity + quantity)
                .execution_options(synchronize_session=False)
            )
            assert isinstance(shipped, CursorResult)
            if shipped.rowcount != 1:
                message = f"Line {item.id} has fewer than {quantity} units left to ship."
                raise ShipmentExceeds(f"items.{index}.quantity", message)
        sync, error = await self._sync_status(order)
        now = utcnow()
        shipment = Shipment(
            order_id=order.id,
            carrier_code=carrier,
            tracking_number=tracking,
            wechat_sync_status=sync,
            wechat_sync_error=error,
            wechat_next_attempt_at=now if sync == PENDING else None,
            created_by=admin.id,
            created_at=now,
            **contract_fields.column_values(fields),
            items=[
                ShipmentItem(
                    order_item_id=item.id,
                    variant_id=item.variant_id,
                    quantity=quantity,
                    **item_contract_fields.column_values(raw),
                )
                for item, quantity, raw in lines
            ],
        )
        self.session.add(shipment)
        try:
            await self.session.flush()
        except IntegrityError:  # the same parcel, sent twice at once
            await self.session.rollback()
            again = await self._existing(order.id, carrier, tracking)
            if again is None:
                raise
            return self._replay(again, order, requested)
        state = await self._orders.refresh_shipping(order.id)
        target = shipping_target(order.status, state)
        if target is not None and not await self._orders.move(order.id, order.status, target):
            # The row is locked: only a database without row locks gets here.
            await self.session.rollback()
            raise IllegalTransition(order.status, target)
        await self.session.commit()
        recorded = await self._existing(order.id, carrier, tracking)
        assert recorded is not None
        return Recorded(recorded, replayed=False)

    def _replay(
        self, existing: Shipment, order: Order, requested: Sequence[Mapping[str, Any]] | None
    ) -> Recorded:
        if requested is not None:
            asked = {(int(line["order_item_id"]), int(line["quantity"])) for line in requested}
            recorded = {(item.order_item_id, item.quantity) for item in existing.items}
            if asked != recorded:
                raise TrackingTaken()
        return Recorded(existing, replayed=True)

    async def _sync_status(self, order: Order) -> tuple[str, str | None]:
        """Whether this order's parcels go to WeChat's shipping information."""
        paid_by_wechat = await self.session.scalar(
            select(func.count(Payment.id)).where(
                Payment.order_id == order.id,
                Payment.channel == "wechat",
                Payment.status == "succeeded",
            )
        )
        if not paid_by_wechat:
            return NOT_REQUIRED, None
        if not self._wechat_shipping:
            return FAILED, "WECHAT_APP_ID and WECHAT_APP_SECRET are not set"
        return PENDING, None

    async def confirm_receipt(
        self, order_id: int, viewer: Viewer, now: datetime | None = None
    ) -> Order:
        order = await self._orders.get(order_id, viewer)
        return await self._orders.confirm_receipt(order, now)


Line = tuple[OrderItem, int, Mapping[str, Any]]


def _lines(order: Order, requested: Sequence[Mapping[str, Any]] | None) -> list[Line]:
    """The lines and units of a parcel: those named, or everything left to ship."""
    if requested is None:
        lines: list[Line] = [
            (item, item.unshipped, {}) for item in order.items if item.unshipped > 0
        ]
        if not lines:
            raise ShipmentExceeds("items", "Nothing is left to ship.")
        return lines
    items = {item.id: item for item in order.items}
    lines = []
    foreign: list[dict[str, str]] = []
    errors: list[dict[str, str]] = []
    seen: set[int] = set()
    for index, line in enumerate(requested):
        item_id, quantity = int(line["order_item_id"]), int(line["quantity"])
        field = f"items.{index}.order_item_id"
        item = items.get(item_id)
        if item is None:
            message = f"Order {order.id} has no line {item_id}."
            foreign.append(field_error(field, message, "not_in_order"))
        elif item_id in seen:
            errors.append(field_error(field, "This line is named twice.", "duplicate"))
        else:
            lines.append((item, quantity, line))
        seen.add(item_id)
    if foreign:
        raise ForeignReference(foreign, "The body names something that is not this order's")
    if errors:
        raise FieldErrors(errors)
    return lines
