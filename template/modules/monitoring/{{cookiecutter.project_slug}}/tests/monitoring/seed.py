"""A month of sales to report on: November 2026 in Shanghai (UTC+8), with orders either
side of its edges, where UTC and the shop's clock disagree about the day."""

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import models as auth_models  # noqa: F401 - registers the tables
from app.core.db import Base, create_engine, create_sessionmaker
from app.orders.models import Order, OrderItem
from app.orders.state import OrderStatus
from app.payments.models import Payment
from app.products.models import DEFAULT_TITLE, Product, ProductVariant
from app.products.service import option_key
from app.refunds.models import Refund

SHANGHAI = timezone(timedelta(hours=8))
TEA = ("TEA-1", "Longjing tea", 5800)
CUP = ("CUP-2", "Celadon cup", 12000)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


# (created, paid, refunded, status, [(product, quantity)])
ORDERS = [
    (at(3, 10), at(3, 10, 5), None, OrderStatus.PAID, [(TEA, 2)]),
    (at(10, 14), at(10, 14, 2), None, OrderStatus.COMPLETED, [(CUP, 1)]),
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
        variants = {}
        for sku, title, price in (TEA, CUP):
            product = Product(
                sku=sku, title=title, price_cents=price, currency="CNY", status="active"
            )
            session.add(product)
            await session.flush()
            variants[sku] = ProductVariant(
                product_id=product.id,
                sku=sku,
                options={},
                option_key=option_key({}),
                title=DEFAULT_TITLE,
                price_cents=price,
                currency="CNY",
                stock=100,
            )
            session.add(variants[sku])
        await session.flush()
        for created, paid, refunded, status, lines in ORDERS:
            items = [
                OrderItem(
                    product_id=variants[sku].product_id,
                    variant_id=variants[sku].id,
                    sku=sku,
                    title=title,
                    quantity=quantity,
                    unit_price_cents=price,
                    line_total_cents=price * quantity,
                    currency="CNY",
                )
                for (sku, title, price), quantity in lines
            ]
            order = Order(
                status=status,
                total_cents=sum(item.line_total_cents for item in items),
                currency="CNY",
                created_at=created,
                updated_at=refunded or paid or created,
                expires_at=created + timedelta(minutes=30),
                paid_at=paid,
                items=items,
            )
            session.add(order)
            if refunded is None:
                continue
            await session.flush()
            payment = Payment(
                order_id=order.id,
                channel="wechat",
                out_trade_no=f"T{order.id:08d}",
                status="succeeded",
                amount_cents=order.total_cents,
                currency="CNY",
                paid_at=paid,
            )
            session.add(payment)
            await session.flush()
            session.add(
                Refund(
                    order_id=order.id,
                    payment_id=payment.id,
                    channel="wechat",
                    out_refund_no=f"R{order.id:08d}",
                    status="succeeded",
                    amount_cents=order.total_cents,
                    currency="CNY",
                    reason="returned",
                    created_at=refunded,
                    updated_at=refunded,
                    succeeded_at=refunded,
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
