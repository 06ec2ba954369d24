"""Placing, reading and moving orders through their states.

Also the entry points of payments and webhooks, which hand in their own session:
`mark_paid`, `cancel`, `expire_due`, `change_status` and `upsert_external` commit that session
(with whatever else the caller added to it), then settle the stock backend, so stock moves
in the database exactly once and Redis follows.

Lines are placed on variants: a line names its variant, or a product that has only one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, exists, func, literal, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core import changes
from app.core.db import UTCDateTime, utcnow
from app.core.errors import NotFound, ShopError
from app.fulfilment.models import Shipment
from app.orders import pricing
from app.orders.batch import OrderBatches, PlaceAlone, Placing
from app.orders.idempotency import Answer, Claim, IdempotencyKeys, error_body
from app.orders.models import Order, OrderItem
from app.orders.pricing import MAX_AMOUNT, HoldLimits, LineRequest
from app.orders.sold_out import SoldOutGate
from app.orders.state import (
    HOLDS_STOCK,
    REFUNDABLE,
    IllegalTransition,
    OrderStatus,
    ShippingStatus,
    check_transition,
)
from app.products.cache import ProductCache
from app.refunds.models import Refund
from app.stock import ledger
from app.stock.backend import StockBackend, StockLine

logger = logging.getLogger(__name__)

PaymentOutcome = Literal["paid", "already_paid", "paid_after_cancel"]
# "api" for orders placed here; channels that mirror orders name themselves ("shopify", ...).
OrderSource = str
EXPIRY_BATCH = 200


class OrderNotFound(NotFound):
    msg = "Order not found"


@dataclass(frozen=True, slots=True)
class LineDraft:
    """A line of an order mirrored from elsewhere, already matched to a variant if it could
    be."""

    product_id: int
    variant_id: int | None
    sku: str
    title: str
    variant_title: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True, slots=True)
class OrderFilters:
    """What an order list is narrowed by; a customer's list is always their own."""

    status: str | None = None
    source: str | None = None
    user_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    has_refund: bool | None = None
    shipping_status: str | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    admin: bool


def stock_lines(order: Order) -> list[StockLine]:
    return [
        StockLine(item.variant_id, item.quantity, item.sku, index)
        for index, item in enumerate(order.items)
        if item.variant_id is not None
    ]


@dataclass(frozen=True, slots=True)
class Seen:
    """What a state change needs of an order, read once: a rollback expires ORM objects,
    and an async session cannot load them again behind our back."""

    order_id: int
    status: str
    reservation: str | None
    lines: list[StockLine]

    @classmethod
    def of(cls, order: Order) -> Seen:
        return cls(order.id, order.status, order.reservation, stock_lines(order))


def _with_items() -> Any:
    return select(Order).options(selectinload(Order.items))


def filter_clauses(viewer: Viewer, filters: OrderFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if not viewer.admin:
        where.append(Order.user_id == viewer.user_id)
    if filters.status is not None:
        where.append(Order.status == filters.status)
    if filters.source is not None:
        where.append(Order.source == filters.source)
    if filters.user_id is not None:
        where.append(Order.user_id == filters.user_id)
    if filters.created_from is not None:
        where.append(Order.created_at >= filters.created_from)
    if filters.created_to is not None:
        where.append(Order.created_at < filters.created_to)
    if filters.has_refund is not None:
        refunded = exists().where(Refund.order_id == Order.id)
        where.append(refunded if filters.has_refund else ~refunded)
    if filters.shipping_status is not None:
        where.append(Order.shipping_status == filters.shipping_status)
    return where


class OrderService:
    def __init__(
        self,
        session: AsyncSession,
        stock: StockBackend,
        *,
        payment_window: timedelta = timedelta(minutes=15),
        idempotency_ttl: timedelta = timedelta(hours=24),
        product_cache: ProductCache | None = None,
        hold_limits: HoldLimits | None = None,
        sold_out: SoldOutGate | None = None,
        batches: OrderBatches | None = None,
    ) -> None:
        self.session = session
        self.batches = batches
        self.stock = stock
        self.sold_out = sold_out
        self.product_cache = product_cache
        self.hold_limits = hold_limits or HoldLimits()
        self.payment_window = payment_window
        self.idempotency = IdempotencyKeys(session, idempotency_ttl)

    # -- reads ---------------------------------------------------------------------------

    async def _load(self, order_id: int) -> Order | None:
        found: Order | None = await self.session.scalar(
            _with_items().where(Order.id == order_id).execution_options(populate_existing=True)
        )
        return found

    async def get(self, order_id: int, viewer: Viewer) -> Order:
        """The order, if the viewer may see it; another customer's order is "not found"."""
        order = await self._load(order_id)
        if order is None or (not viewer.admin and order.user_id != viewer.user_id):
            raise OrderNotFound()
        return order

    async def detail(self, order_id: int, viewer: Viewer) -> Order:
        """The order with its payments, refunds and shipments, if the viewer may see it."""
        order: Order | None = await self.session.scalar(
            _with_items()
            .options(
                selectinload(Order.payments),
                selectinload(Order.refunds).selectinload(Refund.items),
                selectinload(Order.shipments).selectinload(Shipment.items),
            )
            .where(Order.id == order_id)
            .execution_options(populate_existing=True)
        )
        if order is None or (not viewer.admin and order.user_id != viewer.user_id):
            raise OrderNotFound()
        return order

    async def list_for(
        self,
        viewer: Viewer,
        *,
        page: int,
        limit: int,
        filters: OrderFilters | None = None,
    ) -> tuple[list[Order], int]:
        where = filter_clauses(viewer, filters or OrderFilters())
        total = await self.session.scalar(select(func.count(Order.id)).where(*where))
        if (page - 1) * limit > MAX_AMOUNT:
            return [], total or 0  # past the end, and past what SQL's OFFSET takes
        rows = await self.session.scalars(
            _with_items()
            .where(*where)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .offset((page - 1) * limit)
            .limit(limit)
        )
        return list(rows), total or 0

    # -- placing -------------------------------------------------------------------------

    async def place(
        self,
        user_id: int,
        lines: Sequence[LineRequest],
        note: str | None,
        *,
        address_id: int | None = None,
        fields: Mapping[str, Any] | None = None,
        idempotency_key: str,
        fingerprint: str,
        gated: bool = False,
    ) -> Answer:
        """Place an order once per idempotency key: the answer to give, new or recorded.
        `fields` is the request body: the contract's own fields are taken from it; `gated`,
        that the sold-out gate let this request through already."""
        wanted = [
            StockLine(line.variant_id, line.quantity, index=index)
            for index, line in enumerate(lines)
            if line.variant_id is not None
        ]
        # A line naming a product alone has its variant found in the database.
        if self.sold_out is not None and not gated and len(wanted) == len(lines):
            refused = await self.sold_out.check(user_id, idempotency_key, fingerprint, wanted)
            if refused is not None:
                return refused
        if self.batches is not None:
            if self.session.in_transaction():
                # Ends this request's read (an admin's role): its connection is not kept
                # idle while the batch's transaction waits for one.
                await self.session.commit()
            placing = Placing(
                user_id,
                lines,
                note,
                address_id,
                fields or {},
                idempotency_key,
                fingerprint,
                self.stock,
            )
            try:
                return await self.batches.place(placing)
            except PlaceAlone:
                pass  # its key is in the database: answered below, the way it was recorded
        claim = await self.idempotency.claim(user_id, idempotency_key, fingerprint)
        if isinstance(claim, Answer):
            return claim
        try:
            return await self._place(user_id, lines, note, address_id, claim, fields or {})
        except ShopError as error:
            await self.session.rollback()
            if error.status_code >= 500:
                await self.idempotency.drop(claim)
            else:
                await self.idempotency.record_now(
                    claim, Answer(error.status_code, error_body(error))
                )
            raise
        except Exception:
            await self.session.rollback()
            await self.idempotency.drop(claim)
            raise

    async def _place(
        self,
        user_id: int,
        lines: Sequence[LineRequest],
        note: str | None,
        address_id: int | None,
        claim: Claim,
        fields: Mapping[str, Any],
    ) -> Answer:
        priced = pricing.price(lines, await pricing.read_catalogue(self.session, lines))
        addresses = await pricing.read_addresses(self.session, [address_id] if address_id else [])
        shipping_address = pricing.shipping_copy(addresses, user_id, address_id)
        if self._sqlite:
            # Ends the read: the write below then starts a fresh transaction, one that takes
            # SQLite's write lock at its first write and can wait for it.
            await self.session.commit()
        reservation = uuid.uuid4().hex
        order = pricing.draft_order(
            user_id,
            priced,
            note=note,
            shipping_address=shipping_address,
            fields=fields,
            reservation=reservation,
            now=utcnow(),
            payment_window=self.payment_window,
        )
        held = pricing.held_lines(priced)
        await self.stock.reserve(reservation, held)
        try:
            await self.idempotency.hold(claim)
            await pricing.lock_customers(self.session, [user_id])
            self.session.add(order)
            await ledger.take(self.session, held)
            await self.session.flush()
            holds = await pricing.read_holds(
                self.session, [user_id], {p.product.id for p in priced}
            )
            refusal = holds.refusal(self.hold_limits, user_id, priced)
            if refusal is not None:
                raise refusal
            await changes.order_placed(self.session, order.id, fields)
            await changes.record(self.session, "order", order.id)
            answer = Answer(201, pricing.created_body(order))
            await self.idempotency.record(claim, answer)
            await self.session.commit()
        except BaseException:
            await self.session.rollback()
            await self.stock.release(reservation, held)
            raise
        self._stock_moved()
        return answer

    @property
    def _sqlite(self) -> bool:
        return self.session.get_bind().dialect.name == "sqlite"

    def _stock_moved(self) -> None:
        # Product reads show stock: this process's cache must not keep the old counts.
        if self.product_cache is not None:
            self.product_cache.clear()

    # -- state changes -------------------------------------------------------------------

    async def move(self, order_id: int, seen: str, target: OrderStatus, **values: Any) -> bool:
        """Write `target` only if the order is still in the status we saw, as part of the
        caller's transaction; an illegal move is a 409 before anything is written."""
        check_transition(seen, target)
        result = await self.session.execute(
            update(Order)
            .where(Order.id == order_id, Order.status == seen)
            .values(status=target, updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        if result.rowcount != 1:
            return False
        await changes.record(self.session, "order", order_id)
        return True

    async def _move(self, seen: Seen, target: OrderStatus, **values: Any) -> bool:
        return await self.move(seen.order_id, seen.status, target, **values)

    async def _give_back(self, seen: Seen, target: OrderStatus, **values: Any) -> bool:
        """pending_payment → cancelled | expired, returning stock to the database, then to
        the stock backend; False when someone else moved the order first."""
        if not await self._move(seen, target, **values):
            await self.session.rollback()
            return False
        await ledger.restore(self.session, seen.lines)
        await self.session.commit()
        self._stock_moved()
        if seen.reservation:
            await self.stock.release(seen.reservation, seen.lines)
        return True

    async def _refused(self, order_id: int, target: OrderStatus) -> IllegalTransition:
        current = await self._load(order_id)
        return IllegalTransition(current.status if current else "gone", target)

    async def _reloaded(self, order_id: int) -> Order:
        order = await self._load(order_id)
        if order is None:
            raise OrderNotFound()
        return order

    async def cancel(self, order: Order, reason: str = "customer") -> Order:
        """Cancel a pending order and return its stock, once; any other status is a 409."""
        seen = Seen.of(order)
        now = utcnow()
        target = OrderStatus.CANCELLED
        if not await self._give_back(seen, target, cancelled_at=now, cancel_reason=reason[:32]):
            raise await self._refused(seen.order_id, target)
        return await self._reloaded(seen.order_id)

    async def expire_due(self, now: datetime | None = None) -> int:
        """Expire every pending order past its `expires_at`; safe to run anywhere, any
        number of times at once: each order's stock returns once."""
        now = now or utcnow()
        expired = 0
        while True:
            rows = await self.session.scalars(
                _with_items()
                .where(Order.status == OrderStatus.PENDING_PAYMENT, Order.expires_at <= now)
                .order_by(Order.expires_at, Order.id)
                .limit(EXPIRY_BATCH)
                .execution_options(populate_existing=True)
            )
            due = [Seen.of(order) for order in rows]
            await self.session.commit()
            for seen in due:
                if await self._give_back(seen, OrderStatus.EXPIRED):
                    expired += 1
            if len(due) < EXPIRY_BATCH:
                return expired

    async def mark_paid(
        self, order_id: int, *, transaction_id: str, paid_at: datetime
    ) -> PaymentOutcome:
        """Record a confirmed payment; a repeat is not an error.

        `paid_after_cancel`: the order had been cancelled or had expired (its stock returned):
        the payment is recorded on the order and the caller owes the customer a refund.
        """
        seen = Seen.of(await self._reloaded(order_id))
        if seen.status == OrderStatus.PENDING_PAYMENT:
            moved = await self._move(
                seen, OrderStatus.PAID, paid_at=paid_at, transaction_id=transaction_id
            )
            await self.session.commit()
            if moved:
                if seen.reservation:
                    await self.stock.confirm(seen.reservation, seen.lines)
                return "paid"
            seen = Seen.of(await self._reloaded(order_id))
        if seen.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
            await self.session.execute(
                update(Order)
                .where(Order.id == order_id, Order.transaction_id.is_(None))
                .values(transaction_id=transaction_id, updated_at=utcnow())
            )
            await changes.record(self.session, "order", order_id)
            await self.session.commit()
            return "paid_after_cancel"
        return "already_paid"

    async def change_status(self, order_id: int, target: OrderStatus) -> Order:
        """Move an order along the state machine (paid → fulfilled, paid → refunded, ...);
        an illegal move is a 409, never a silent write. Leaving pending_payment for
        cancelled or expired returns the stock."""
        order = await self._reloaded(order_id)
        if target == OrderStatus.CANCELLED:
            return await self.cancel(order, "staff")
        seen = Seen.of(order)
        if seen.status in HOLDS_STOCK and target == OrderStatus.EXPIRED:
            moved = await self._give_back(seen, target)
        else:
            moved = await self._move(seen, target)
            await self.session.commit()
        if not moved:
            raise await self._refused(order_id, target)
        return await self._reloaded(order_id)

    # -- shipping, receipt and refunds ----------------------------------------------------

    async def refresh_shipping(self, order_id: int) -> ShippingStatus:
        """Recompute how much of the order has shipped from its lines (in the caller's
        transaction) and write it; `shipped_at` is set when the last unit leaves."""
        items = list(
            await self.session.scalars(
                select(OrderItem)
                .where(OrderItem.order_id == order_id)
                .execution_options(populate_existing=True)
            )
        )
        shipped = any(item.shipped_quantity for item in items)
        left = any(item.unshipped for item in items)
        if not shipped:
            state = ShippingStatus.UNSHIPPED
        else:
            state = ShippingStatus.PARTIALLY_SHIPPED if left else ShippingStatus.SHIPPED
        now = utcnow()
        values: dict[str, Any] = {"shipping_status": state, "updated_at": now}
        if state == ShippingStatus.SHIPPED:
            values["shipped_at"] = func.coalesce(Order.shipped_at, literal(now, UTCDateTime))
        await self.session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return state

    async def confirm_receipt(self, order: Order, now: datetime | None = None) -> Order:
        """The customer has the parcels: a shipped order becomes completed. Repeating it is
        harmless; a partially refunded order that shipped keeps its status and gains
        `completed_at`; anything not fully shipped is a 409."""
        now = now or utcnow()
        if order.completed_at is not None:
            return order
        if order.status == OrderStatus.SHIPPED:
            moved = await self.move(order.id, order.status, OrderStatus.COMPLETED, completed_at=now)
        elif (
            order.status == OrderStatus.PARTIALLY_REFUNDED
            and order.shipping_status == ShippingStatus.SHIPPED
        ):
            result = await self.session.execute(
                update(Order)
                .where(Order.id == order.id, Order.completed_at.is_(None))
                .values(completed_at=now, updated_at=now)
            )
            moved = getattr(result, "rowcount", 0) == 1
            if moved:
                await changes.record(self.session, "order", order.id)
        else:
            raise IllegalTransition(order.status, OrderStatus.COMPLETED)
        await self.session.commit()
        reloaded = await self._reloaded(order.id)
        if not moved and reloaded.completed_at is None:
            raise IllegalTransition(reloaded.status, OrderStatus.COMPLETED)
        return reloaded

    async def complete_due(self, shipped_before: datetime) -> int:
        """Complete the orders that shipped before `shipped_before` and nobody confirmed;
        conditional like every move, so any number of workers may run it."""
        rows = await self.session.scalars(
            _with_items()
            .where(
                Order.completed_at.is_(None),
                Order.shipping_status == ShippingStatus.SHIPPED,
                Order.shipped_at <= shipped_before,
                Order.status.in_((OrderStatus.SHIPPED, OrderStatus.PARTIALLY_REFUNDED)),
            )
            .order_by(Order.shipped_at, Order.id)
            .limit(EXPIRY_BATCH)
        )
        due = list(rows)
        await self.session.commit()
        completed = 0
        for order in due:
            try:
                await self.confirm_receipt(order)
            except IllegalTransition:
                await self.session.rollback()  # moved meanwhile: refunded, say
                continue
            completed += 1
        return completed

    async def refund_succeeded(
        self, order_id: int, amount_cents: int, restock: Sequence[StockLine], token: str
    ) -> None:
        """Money went back for the order: count it, move the status (partially refunded, or
        refunded once everything paid came back), put restocked units back in the database,
        commit the caller's transaction, then in the stock backend, once per `token`."""
        await self.session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(refunded_cents=Order.refunded_cents + amount_cents, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        # The row is locked by the update until commit: refunds settling together queue here.
        order = await self._reloaded(order_id)
        target = (
            OrderStatus.REFUNDED
            if order.refunded_cents >= order.total_cents
            else OrderStatus.PARTIALLY_REFUNDED
        )
        if order.status in REFUNDABLE and order.status != target:
            await self.move(order.id, order.status, target)
        if restock:
            await ledger.restore(self.session, restock)
        await self.session.commit()
        if restock:
            await self.stock.restock(token, restock)
            self._stock_moved()

    async def upsert_external(
        self,
        *,
        source: OrderSource,
        external_id: str,
        status: OrderStatus,
        items: Sequence[LineDraft],
        total_cents: int,
        currency: str,
        updated_at: datetime,
    ) -> Order:
        """Mirror an order placed elsewhere, keyed by (source, external_id).

        Only a newer `updated_at` changes a mirrored order (deliveries come out of order).
        Its status is copied as the source states it: the source's own state machine
        decided. Stock is not touched; the source reports inventory separately.
        """
        for _ in range(2):
            order: Order | None = await self.session.scalar(
                _with_items()
                .where(Order.source == source, Order.external_id == external_id)
                .execution_options(populate_existing=True)
            )
            if order is not None and order.updated_at >= updated_at:
                return order
            if order is None:
                order = Order(source=source, external_id=external_id, created_at=updated_at)
                self.session.add(order)
            order.status = status
            order.total_cents = total_cents
            order.currency = currency
            order.updated_at = updated_at
            order.items = [
                OrderItem(
                    product_id=line.product_id,
                    variant_id=line.variant_id,
                    sku=line.sku,
                    title=line.title,
                    variant_title=line.variant_title,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price_cents,
                    line_total_cents=line.unit_price_cents * line.quantity,
                    currency=currency,
                )
                for line in items
            ]
            if status == OrderStatus.PAID and order.paid_at is None:
                order.paid_at = updated_at
            if status == OrderStatus.CANCELLED and order.cancelled_at is None:
                order.cancelled_at = updated_at
            try:
                await self.session.flush()
                await changes.record(self.session, "order", order.id)
                await self.session.commit()
            except IntegrityError:
                await self.session.rollback()  # created concurrently: update that one
                continue
            refreshed = await self._load(order.id)
            assert refreshed is not None
            return refreshed
        raise ShopError("Could not store the mirrored order")
