"""Orders placed together (`app.orders.batch`): each keeps the answer it would get alone.

The app places orders in batches on PostgreSQL; these tests put a batch in front of the app
on any database, and send the orders at once so they share one transaction.
"""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from app.orders.batch import OrderBatches
from app.orders.models import IdempotencyRecord, Order
from app.orders.pricing import HoldLimits
from app.stock.backend import StockBackend, StockLine
from tests.markers import requires
from tests.variants import buy_variant, variant_of, variant_stock

pytestmark = requires("createOrder")

Headers = dict[str, str]


def _batches(app: FastAPI, pending_orders: int = 5) -> OrderBatches:
    batches = OrderBatches(
        app.state.sessionmaker,
        payment_window=timedelta(minutes=15),
        idempotency_ttl=timedelta(hours=24),
        hold_limits=HoldLimits(pending_orders=pending_orders),
        product_cache=app.state.product_cache,
    )
    app.state.order_batches = batches
    return batches


async def _orders_of(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count(Order.id))) or 0)


async def test_orders_sent_together_get_their_own_answers(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    other_customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    _batches(app, pending_orders=1)
    tea_product = await make_product(sku="TEA", stock=4)
    cup_product = await make_product(sku="CUP", stock=1)
    tea, cup = await variant_of(app, tea_product["id"]), await variant_of(app, cup_product["id"])
    before = await buy_variant(client, customer_headers, tea_product, "placed-before", 1)
    assert before.status_code == 201, before.text
    first, short, capped, admins, again = await asyncio.gather(
        buy_variant(client, other_customer_headers, tea_product, "together-first", 2),
        buy_variant(client, other_customer_headers, cup_product, "together-short", 2),
        buy_variant(client, customer_headers, tea_product, "together-capped", 1),
        buy_variant(client, admin_headers, tea_product, "together-admin", 1),
        buy_variant(client, other_customer_headers, tea_product, "together-first", 2),
    )
    assert first.status_code == admins.status_code == 201, first.text + admins.text
    # Refused for their own reasons, beside orders that were placed.
    assert (short.status_code, short.json()["code"]) == (409, 40901)
    assert short.json()["data"]["errors"][0]["message"] == "Only 1 unit of CUP left."
    assert (capped.status_code, capped.json()["code"]) == (409, 40905)
    # The same key twice: one order, and one answer replays the other.
    assert again.status_code == 201
    assert again.json() == first.json()
    replayed = [a.headers.get("Idempotent-Replayed") for a in (first, again)]
    assert replayed.count("true") == 1
    assert await variant_stock(app, tea) == 0
    assert await variant_stock(app, cup) == 1
    assert await _orders_of(app) == 3

    # Every answer was recorded for its key, refusals too.
    retried = await buy_variant(client, other_customer_headers, cup_product, "together-short", 2)
    assert retried.json() == short.json()
    assert retried.headers["Idempotent-Replayed"] == "true"
    async with app.state.sessionmaker() as session:
        unanswered = await session.scalar(
            select(func.count(IdempotencyRecord.id)).where(IdempotencyRecord.status_code.is_(None))
        )
    assert unanswered == 0


class _FailingFirstBatch:
    """A stock backend whose reservations all fail while `failing` is set."""

    def __init__(self, backend: StockBackend) -> None:
        self.backend = backend
        self.failing = True
        self.failed = 0

    async def reserve(self, reservation: str, lines: list[StockLine]) -> None:
        await asyncio.sleep(0)  # every order of the batch is on its way before one fails
        if self.failing:
            self.failing = False
            self.failed += 1
            raise RuntimeError("a fault the batch did not expect")
        await self.backend.reserve(reservation, lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


async def test_a_batch_that_fails_places_each_order_alone(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    other_customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    _batches(app)
    tea_product = await make_product(sku="TEA", stock=10)
    tea = await variant_of(app, tea_product["id"])
    app.state.stock = failing = _FailingFirstBatch(app.state.stock)
    answers = await asyncio.gather(
        buy_variant(client, customer_headers, tea_product, "placed-alone-1", 1),
        buy_variant(client, other_customer_headers, tea_product, "placed-alone-2", 2),
        buy_variant(client, customer_headers, tea_product, "placed-alone-3", 3),
    )
    assert failing.failed == 1
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert await variant_stock(app, tea) == 4
    assert await _orders_of(app) == 3


async def test_an_order_alone_fails_with_its_own_error(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    _batches(app)
    tea_product = await make_product(sku="TEA", stock=10)
    tea = await variant_of(app, tea_product["id"])
    app.state.stock = _FailingFirstBatch(app.state.stock)
    failed = await buy_variant(client, customer_headers, tea_product, "alone-fails", 1)
    assert failed.status_code == 500
    retried = await buy_variant(client, customer_headers, tea_product, "alone-fails", 1)
    assert retried.status_code == 201, retried.text
    assert await variant_stock(app, tea) == 9
