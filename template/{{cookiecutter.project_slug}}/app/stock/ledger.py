"""The database side of stock: conditional updates inside the caller's transaction.

`take` is what makes overselling impossible whatever runs in front of it: a row is
decremented only while it still has enough, so concurrent orders cannot both take the last
unit. Lines go in variant id order, so two multi-line orders lock rows in the same order.
"""

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import case, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import changes
from app.products.models import ProductVariant
from app.stock.backend import OutOfStock, StockLine


async def take(session: AsyncSession, lines: Sequence[StockLine]) -> None:
    """Decrement every line's variant, or raise `OutOfStock` (the caller rolls back)."""
    for line in sorted(lines, key=lambda line: line.variant_id):
        result = await session.execute(
            update(ProductVariant)
            .where(
                ProductVariant.id == line.variant_id,
                ProductVariant.deleted_at.is_(None),
                ProductVariant.stock >= line.quantity,
            )
            .values(stock=ProductVariant.stock - line.quantity)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        if result.rowcount != 1:
            available = await session.scalar(
                select(ProductVariant.stock).where(ProductVariant.id == line.variant_id)
            )
            raise OutOfStock(line, available)
        await changes.record(session, "stock", line.variant_id)


async def lock(session: AsyncSession, variant_ids: Collection[int]) -> dict[int, int]:
    """Lock the variants' rows in id order; the units each has (none once deleted). Units
    counted under the lock may then be taken with `take_counted`, for many orders at once."""
    rows = await session.execute(
        select(ProductVariant.id, ProductVariant.stock, ProductVariant.deleted_at)
        .where(ProductVariant.id.in_(variant_ids))
        .order_by(ProductVariant.id)
        .with_for_update()
    )
    return {variant: stock if gone is None else 0 for variant, stock, gone in rows}


async def take_counted(session: AsyncSession, taken: Mapping[int, int]) -> None:
    """Take units per variant in one statement from rows `lock` holds and counted enough."""
    result = await session.execute(
        update(ProductVariant)
        .where(ProductVariant.id.in_(taken))
        .values(stock=ProductVariant.stock - case(dict(taken), value=ProductVariant.id))
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != len(taken):
        raise RuntimeError(f"took stock from {result.rowcount} of {len(taken)} locked variants")
    for variant_id in sorted(taken):
        await changes.record(session, "stock", variant_id)


async def restore(session: AsyncSession, lines: Sequence[StockLine]) -> None:
    """Give the lines' stock back (the caller made sure this happens once)."""
    for line in sorted(lines, key=lambda line: line.variant_id):
        await session.execute(
            update(ProductVariant)
            .where(ProductVariant.id == line.variant_id)
            .values(stock=ProductVariant.stock + line.quantity)
            .execution_options(synchronize_session=False)
        )
        await changes.record(session, "stock", line.variant_id)
