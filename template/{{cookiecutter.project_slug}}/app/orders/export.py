"""exportOrders: every line of the orders placed in a time range, as CSV.

What a shop owner opens in a spreadsheet: one row per order line, the order's own columns
repeated on each, UTF-8 with a byte order mark so Excel reads Chinese text, amounts in minor
units as everywhere else, times in RFC 3339 (UTC). Orders are read in pages of `BATCH` by
(created_at, id), so memory stays flat however long the range.
"""

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.orders.models import Order, OrderItem
from app.orders.service import OrderFilters, Viewer, filter_clauses

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BATCH = 500
COLUMNS = (
    "order_id",
    "created_at",
    "status",
    "user_id",
    "email",
    "currency",
    "total_cents",
    "refunded_cents",
    "shipping_status",
    "paid_at",
    "transaction_id",
    "recipient",
    "phone",
    "address",
    "postal_code",
    "sku",
    "title",
    "variant_title",
    "quantity",
    "unit_price_cents",
    "line_total_cents",
    "shipped_quantity",
    "refunded_quantity",
)
_ADMIN = Viewer(user_id=0, admin=True)


def _time(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _address(order: Order) -> tuple[str, str, str, str]:
    address: dict[str, Any] = order.shipping_address or {}
    parts = (address.get(k) for k in ("province", "city", "district", "detail"))
    return (
        str(address.get("recipient") or ""),
        str(address.get("phone") or ""),
        " ".join(str(part) for part in parts if part),
        str(address.get("postal_code") or ""),
    )


def order_rows(order: Order, email: str | None) -> Iterable[Sequence[Any]]:
    """The rows of one order: one per line."""
    head = (
        order.id,
        _time(order.created_at),
        order.status,
        order.user_id if order.user_id is not None else "",
        email or "",
        order.currency,
        order.total_cents,
        order.refunded_cents,
        order.shipping_status,
        _time(order.paid_at),
        order.transaction_id or "",
        *_address(order),
    )
    item: OrderItem
    for item in order.items:
        yield (
            *head,
            item.sku,
            item.title,
            item.variant_title,
            item.quantity,
            item.unit_price_cents,
            item.line_total_cents,
            item.shipped_quantity,
            item.refunded_quantity,
        )


def _csv(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


async def export_rows(
    sessionmaker: async_sessionmaker[AsyncSession], filters: OrderFilters
) -> AsyncIterator[str]:
    yield "\ufeff" + _csv([COLUMNS])
    where = filter_clauses(_ADMIN, filters)
    after: tuple[datetime, int] | None = None
    async with sessionmaker() as session:
        while True:
            query = (
                select(Order, User.email)
                .outerjoin(User, User.id == Order.user_id)
                .options(selectinload(Order.items))
                .where(*where)
                .order_by(Order.created_at, Order.id)
                .limit(BATCH)
            )
            if after is not None:
                query = query.where(tuple_(Order.created_at, Order.id) > tuple_(*after))
            batch = (await session.execute(query)).all()
            if not batch:
                return
            yield _csv(row for order, email in batch for row in order_rows(order, email))
            last = batch[-1][0]
            after = (last.created_at, last.id)
            session.expunge_all()
