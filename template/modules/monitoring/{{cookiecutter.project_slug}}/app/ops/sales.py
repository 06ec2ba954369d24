"""What the shop's own tables say about sales, for `/metrics` and the monthly report: all the
monitoring module knows of the order and payment tables is here.

Revenue is what customers paid: an order's total when it was paid (`paid_at`), by currency.
Refunds are the refunds that succeeded, whole or partial, when they did (`succeeded_at`).
Amounts are integer minor units throughout.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.db import Base
from app.orders.models import Order, OrderItem
from app.orders.state import OrderStatus
from app.payments.models import Payment
from app.refunds.models import Refund

# The Shopify deliveries table, in projects made with Shopify sync.
DELIVERIES = "shopify_deliveries"
WAITING_DELIVERIES = ("pending", "processing")


def _between(
    column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
    start: datetime | None,
    end: datetime | None,
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if start is not None:
        found.append(column >= start)
    if end is not None:
        found.append(column < end)
    return found


SUCCEEDED = "succeeded"


async def order_counts(session: AsyncSession) -> dict[str, int]:
    """Every order, by status."""
    rows = await session.execute(select(Order.status, func.count(Order.id)).group_by(Order.status))
    return {str(status): int(count) for status, count in rows}


async def orders_created(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Order.id))) or 0)


async def revenue(
    session: AsyncSession, start: datetime | None = None, end: datetime | None = None
) -> dict[str, int]:
    """Totals of the orders paid in [start, end), by currency."""
    rows = await session.execute(
        select(Order.currency, func.sum(Order.total_cents))
        .where(Order.paid_at.is_not(None), *_between(Order.paid_at, start, end))
        .group_by(Order.currency)
    )
    return {str(currency): int(total or 0) for currency, total in rows}


async def refunds(
    session: AsyncSession, start: datetime | None = None, end: datetime | None = None
) -> dict[str, int]:
    """What was given back in [start, end), by currency."""
    rows = await session.execute(
        select(Refund.currency, func.sum(Refund.amount_cents))
        .where(Refund.status == SUCCEEDED, *_between(Refund.succeeded_at, start, end))
        .group_by(Refund.currency)
    )
    return {str(currency): int(total or 0) for currency, total in rows}


async def refund_count(session: AsyncSession, start: datetime, end: datetime) -> int:
    found = await session.scalar(
        select(func.count(Refund.id)).where(
            Refund.status == SUCCEEDED, *_between(Refund.succeeded_at, start, end)
        )
    )
    return int(found or 0)


async def payment_counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Every payment, by channel and status."""
    rows = await session.execute(
        select(Payment.channel, Payment.status, func.count(Payment.id)).group_by(
            Payment.channel, Payment.status
        )
    )
    return {(str(channel), str(status)): int(count) for channel, status, count in rows}


async def overdue_unpaid(session: AsyncSession, before: datetime) -> tuple[int, datetime | None]:
    """Unpaid orders whose payment window ended before `before`, and the earliest end."""
    row = (
        await session.execute(
            select(func.count(Order.id), func.min(Order.expires_at)).where(
                Order.status == OrderStatus.PENDING_PAYMENT, Order.expires_at < before
            )
        )
    ).one()
    return int(row[0] or 0), row[1]


async def webhook_backlog(session: AsyncSession) -> tuple[int, datetime | None]:
    """Shopify deliveries waiting to be processed, and when the oldest arrived; (0, None)
    in a project without Shopify sync."""
    table = Base.metadata.tables.get(DELIVERIES)
    if not isinstance(table, Table):
        return 0, None
    row = (
        await session.execute(
            select(func.count(), func.min(table.c.received_at)).where(
                table.c.status.in_(WAITING_DELIVERIES)
            )
        )
    ).one()
    return int(row[0] or 0), row[1]


@dataclass
class Day:
    day: date
    orders: int = 0
    paid: dict[str, int] = field(default_factory=dict)
    refunded: dict[str, int] = field(default_factory=dict)


async def daily(session: AsyncSession, start: datetime, end: datetime, zone: tzinfo) -> list[Day]:
    """Per local day of [start, end): orders placed, revenue paid, refunds given."""
    days: dict[date, Day] = {}

    def day_of(moment: datetime) -> Day:
        local = moment.astimezone(zone).date()
        return days.setdefault(local, Day(local))

    placed = await session.stream(
        select(Order.created_at).where(*_between(Order.created_at, start, end))
    )
    async for (created_at,) in placed:
        day_of(created_at).orders += 1
    paid = await session.stream(
        select(Order.paid_at, Order.currency, Order.total_cents).where(
            Order.paid_at.is_not(None), *_between(Order.paid_at, start, end)
        )
    )
    async for paid_at, currency, total in paid:
        if paid_at is None:
            continue  # the query asks for paid orders only
        bucket = day_of(paid_at).paid
        bucket[currency] = bucket.get(currency, 0) + int(total)
    given_back = await session.stream(
        select(Refund.succeeded_at, Refund.currency, Refund.amount_cents).where(
            Refund.status == SUCCEEDED, *_between(Refund.succeeded_at, start, end)
        )
    )
    async for refunded_at, currency, total in given_back:
        if refunded_at is None:
            continue  # the query asks for succeeded refunds only
        bucket = day_of(refunded_at).refunded
        bucket[currency] = bucket.get(currency, 0) + int(total)
    return [days[key] for key in sorted(days)]


@dataclass(frozen=True, slots=True)
class ProductSales:
    sku: str
    title: str
    currency: str
    units: int
    revenue_cents: int


async def top_products(
    session: AsyncSession, start: datetime, end: datetime, limit: int = 10
) -> list[ProductSales]:
    """The products that brought the most revenue in orders paid in [start, end)."""
    revenue_cents = func.sum(OrderItem.line_total_cents)
    rows = await session.execute(
        select(
            OrderItem.sku,
            func.max(OrderItem.title),
            OrderItem.currency,
            func.sum(OrderItem.quantity),
            revenue_cents,
        )
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.paid_at.is_not(None), *_between(Order.paid_at, start, end))
        .group_by(OrderItem.sku, OrderItem.currency)
        .order_by(revenue_cents.desc(), OrderItem.sku)
        .limit(limit)
    )
    return [
        ProductSales(str(sku), str(title), str(currency), int(units), int(total))
        for sku, title, currency, units, total in rows
    ]


async def statuses_of_orders_placed(
    session: AsyncSession, start: datetime, end: datetime
) -> Mapping[str, int]:
    """The orders placed in [start, end), by the status they have now."""
    rows = await session.execute(
        select(Order.status, func.count(Order.id))
        .where(*_between(Order.created_at, start, end))
        .group_by(Order.status)
    )
    return {str(status): int(count) for status, count in rows}
