"""What the commission module reads of orders: whether one is complete (and since when), can
no longer complete, and what the customer kept of each line. Everything it knows of the
order tables is here.

An order is complete once it has a `completed_at` (received, or shipped long enough ago; a
partly refunded order completes too). What the customer kept of a line is its units not
refunded (`refunded_quantity`); a refunded order kept nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.orders.models import Order
from app.orders.state import OrderStatus

# Orders that will never complete: nothing is earned on them.
CLOSED = (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REFUNDED)


@dataclass(frozen=True, slots=True)
class Sale:
    order_id: int
    status: str
    currency: str
    placed_at: datetime
    completed_at: datetime | None
    # Each line's amount net of what was refunded, in minor units.
    lines: tuple[int, ...]

    @property
    def closed(self) -> bool:
        return self.status in CLOSED


def due(cutoff: datetime) -> ColumnElement[bool]:
    """Orders to settle or void now: complete since before `cutoff`, or closed."""
    return or_(
        Order.completed_at <= cutoff,
        Order.status.in_(CLOSED),
    )


async def read_sale(session: AsyncSession, order_id: int) -> Sale | None:
    order = await session.scalar(
        select(Order)
        .options(selectinload(Order.items))
        .where(Order.id == order_id)
        .execution_options(populate_existing=True)
    )
    if order is None:
        return None
    refunded = order.status == OrderStatus.REFUNDED
    lines: Sequence[int] = [
        0
        if refunded
        else _kept(item.line_total_cents, item.unit_price_cents, item.refunded_quantity)
        for item in order.items
    ]
    return Sale(
        order_id=order.id,
        status=order.status,
        currency=order.currency,
        placed_at=order.created_at,
        completed_at=order.completed_at,
        lines=tuple(lines),
    )


def _kept(line_total: int, unit_price: int, refunded_units: int) -> int:
    return max(line_total - unit_price * refunded_units, 0)
