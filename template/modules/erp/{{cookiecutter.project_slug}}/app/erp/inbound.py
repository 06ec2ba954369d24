"""Stock levels and prices the ERP pushes: applied when newer, once per `sync_id`.

Newer means a later `last_modified_at`, or the same one with a higher `version`, than the
last value applied to that variant for that kind. An update names a variant by its sku (a
product without options has one, with the product's sku). The variant's row is locked first
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite writes one at a time), so two pushes for one
variant are compared in turn and the older can never win. The ERP is the master of these
values: a pushed stock level replaces the shop's count as it stands, and a pushed price the
variant's (the product's price follows: its cheapest live variant's). Applying one is not
recorded in the outbox, which would only echo the ERP's own value back to it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import utcnow
from app.erp.models import ErpInboundReceipt, ErpInboundState
from app.products.models import Product, ProductVariant

Outcome = Literal["applied", "stale", "duplicate", "unknown_sku", "currency_mismatch"]


@dataclass(frozen=True, slots=True)
class Update:
    sync_id: str
    kind: Literal["stock", "price"]
    sku: str
    version: int
    last_modified_at: datetime
    stock: int | None = None
    price_cents: int | None = None
    currency: str | None = None


@dataclass(slots=True)
class Applied:
    outcomes: list[tuple[str, Outcome]] = field(default_factory=list)
    # Variants whose stock changed, with the new level: Redis and caches follow after commit.
    stock_levels: dict[int, int] = field(default_factory=dict)
    products_changed: bool = False


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _newer(update_: Update, state: ErpInboundState | None) -> bool:
    if state is None:
        return True
    mine = (_utc(update_.last_modified_at), update_.version)
    return mine > (_utc(state.last_modified_at), state.version)


async def apply(session: AsyncSession, updates: Sequence[Update]) -> Applied:
    """Apply `updates` in one transaction (committed here). A `sync_id` received at the
    same moment by another request makes this one start over and find it a duplicate."""
    for _ in range(3):
        try:
            return await _apply_once(session, updates)
        except IntegrityError:
            await session.rollback()
    raise RuntimeError("could not apply the ERP's updates")


async def _apply_once(session: AsyncSession, updates: Sequence[Update]) -> Applied:
    result = Applied()
    seen: set[str] = set()
    for item in updates:
        outcome = await _apply_one(session, item, result, seen)
        if outcome != "duplicate":
            session.add(
                ErpInboundReceipt(sync_id=item.sync_id, outcome=outcome, received_at=utcnow())
            )
            seen.add(item.sync_id)
        result.outcomes.append((item.sync_id, outcome))
    await session.commit()
    return result


async def _apply_one(
    session: AsyncSession, item: Update, result: Applied, seen: set[str]
) -> Outcome:
    if item.sync_id in seen or await session.get(ErpInboundReceipt, item.sync_id) is not None:
        return "duplicate"
    variant = await session.scalar(
        select(ProductVariant)
        .where(ProductVariant.sku == item.sku, ProductVariant.deleted_at.is_(None))
        .with_for_update()
    )
    if variant is None:
        return "unknown_sku"
    if item.kind == "price" and item.currency != variant.currency:
        return "currency_mismatch"
    state = await session.get(ErpInboundState, (item.kind, variant.id), populate_existing=True)
    if not _newer(item, state):
        return "stale"
    if state is None:
        session.add(
            ErpInboundState(
                kind=item.kind,
                variant_id=variant.id,
                version=item.version,
                last_modified_at=_utc(item.last_modified_at),
            )
        )
    else:
        state.version, state.last_modified_at = item.version, _utc(item.last_modified_at)
    now = utcnow()
    if item.kind == "stock":
        assert item.stock is not None
        await session.execute(
            update(ProductVariant)
            .where(ProductVariant.id == variant.id)
            .values(stock=item.stock, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        result.stock_levels[variant.id] = item.stock
    else:
        assert item.price_cents is not None
        await session.execute(
            update(ProductVariant)
            .where(ProductVariant.id == variant.id)
            .values(price_cents=item.price_cents, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        cheapest = (
            select(func.min(ProductVariant.price_cents))
            .where(
                ProductVariant.product_id == variant.product_id,
                ProductVariant.deleted_at.is_(None),
            )
            .scalar_subquery()
        )
        await session.execute(
            update(Product)
            .where(Product.id == variant.product_id)
            .values(price_cents=cheapest, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    result.products_changed = True
    return "applied"
