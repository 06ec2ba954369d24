"""The state of an entity as the ERP receives it, read inside the changing transaction.

Plain column selects, not ORM objects: core services change rows with `UPDATE` statements
that leave loaded objects stale, and a select sees the transaction's own writes.
"""

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import Entity
from app.orders.models import Order, OrderItem
from app.products.models import Product, ProductVariant

Snapshot = dict[str, Any]
Reader = Callable[[AsyncSession, int], Awaitable[Snapshot | None]]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def order(session: AsyncSession, order_id: int) -> Snapshot | None:
    row = (
        await session.execute(
            select(
                Order.id,
                Order.user_id,
                Order.status,
                Order.source,
                Order.external_id,
                Order.total_cents,
                Order.currency,
                Order.paid_at,
                Order.cancelled_at,
                Order.created_at,
                Order.updated_at,
            ).where(Order.id == order_id)
        )
    ).first()
    if row is None:
        return None
    items = await session.execute(
        select(
            OrderItem.product_id,
            OrderItem.variant_id,
            OrderItem.sku,
            OrderItem.title,
            OrderItem.variant_title,
            OrderItem.quantity,
            OrderItem.unit_price_cents,
            OrderItem.line_total_cents,
            OrderItem.currency,
        )
        .where(OrderItem.order_id == order_id)
        .order_by(OrderItem.id)
    )
    return {
        "id": row.id,
        "user_id": row.user_id,
        "status": row.status,
        "source": row.source,
        "external_id": row.external_id,
        "total_cents": row.total_cents,
        "currency": row.currency,
        "paid_at": _iso(row.paid_at),
        "cancelled_at": _iso(row.cancelled_at),
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "items": [dict(item._mapping) for item in items],
    }


async def product(session: AsyncSession, product_id: int) -> Snapshot | None:
    row = (
        await session.execute(
            select(
                Product.id,
                Product.sku,
                Product.title,
                Product.price_cents,
                Product.currency,
                Product.status,
                Product.category,
                Product.deleted_at,
                Product.updated_at,
            ).where(Product.id == product_id)
        )
    ).first()
    if row is None:
        return None
    variants = await session.execute(
        select(
            ProductVariant.id,
            ProductVariant.sku,
            ProductVariant.title,
            ProductVariant.options,
            ProductVariant.price_cents,
        )
        .where(ProductVariant.product_id == product_id, ProductVariant.deleted_at.is_(None))
        .order_by(ProductVariant.id)
    )
    return {
        "id": row.id,
        "sku": row.sku,
        "title": row.title,
        "price_cents": row.price_cents,
        "currency": row.currency,
        "status": row.status,
        "category": row.category,
        "deleted": row.deleted_at is not None,
        "updated_at": _iso(row.updated_at),
        "variants": [dict(variant._mapping) for variant in variants],
    }


async def stock(session: AsyncSession, variant_id: int) -> Snapshot | None:
    """A variant's count: stock is kept per variant."""
    row = (
        await session.execute(
            select(
                ProductVariant.id,
                ProductVariant.product_id,
                ProductVariant.sku,
                ProductVariant.stock,
            ).where(ProductVariant.id == variant_id)
        )
    ).first()
    if row is None:
        return None
    return {
        "variant_id": row.id,
        "product_id": row.product_id,
        "sku": row.sku,
        "stock": row.stock,
    }


READERS: Mapping[Entity, Reader] = {"order": order, "product": product, "stock": stock}
