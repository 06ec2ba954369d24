"""A month of sales to report on: November 2026 in Shanghai (UTC+8), with orders either
side of its edges, where UTC and the shop's clock disagree about the day."""

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import models as auth_models  # noqa: F401 - registers the tables
from app.core.db import Base, create_engine, create_sessionmaker
from app.orders.models import Order, OrderItem
from app.orders.state import OrderStatus
from app.products.models import Product

SHANGHAI = timezone(timedelta(hours=8))
TEA = ("TEA-1", "Longjing tea", 5800)
CUP = ("CUP-2", "Celadon cup", 12000)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


# (created, paid, refunded, status, [(product, quantity)])
ORDERS = [
    (at(3, 10), at(3, 10, 5), None, OrderStatus.PAID, [(TEA, 2)]),
    (at(10, 14), at(10, 14, 2), None, OrderStatus.FULFILLED, [(CUP, 1)]),
    (at(15, 9), at(15, 9, 1), at(20, 16), OrderStatus.REFUNDED, [(TEA, 1)]),
    (at(30, 23, 30), at(30, 23, 40), None, OrderStatus.PAID, [(TEA, 1)]),
    (at(20, 8), None, None, OrderStatus.PENDING_PAYMENT, [(CUP, 1)]),
    # October and December in Shanghai; the second is still November in UTC.
    (at(31, 23, month=10), at(31, 23, 5, month=10), None, OrderStatus.PAID, [(CUP, 1)]),
    (at(1, 0, 10, month=12), at(1, 0, 20, month=12), None, OrderStatus.PAID, [(CUP, 1)]),
]
# What November in Shanghai holds.
PLACED = 5
REVENUE = 2 * 5800 + 12000 + 5800 + 5800
REFUNDED = 5800


async def _seed(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    async with create_sessionmaker(engine)() as session, session.begin():
        products = {}
        for sku, title, price in (TEA, CUP):
            product = Product(
                sku=sku, title=title, price_cents=price, currency="CNY", stock=100, status="active"
            )
            session.add(product)
            products[sku] = product
        await session.flush()
        for created, paid, refunded, status, lines in ORDERS:
            items = [
                OrderItem(
                    product_id=products[sku].id,
                    sku=sku,
                    title=title,
                    quantity=quantity,
                    unit_price_cents=price,
                    line_total_cents=price * quantity,
                    currency="CNY",
                )
                for (sku, title, price), quantity in lines
            ]
            session.add(
                Order(
                    status=status,
                    total_cents=sum(item.line_total_cents for item in items),
                    currency="CNY",
                    created_at=created,
                    updated_at=refunded or paid or created,
                    expires_at=created + timedelta(minutes=30),
                    paid_at=paid,
                    items=items,
                )
            )


def seed(database_url: str) -> None:
    async def run() -> None:
        engine = create_engine(database_url)
        try:
            await _seed(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


def drop(database_url: str) -> None:
    async def run() -> None:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(Base.metadata.drop_all)
        finally:
            await engine.dispose()

    asyncio.run(run())
