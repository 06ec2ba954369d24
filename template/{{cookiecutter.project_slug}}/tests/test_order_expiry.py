"""Unpaid orders expire and give their stock back once, from the job and from the command."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from sqlalchemy import update

from app.core.config import Settings
from app.orders.jobs import Upkeep, run_round
from app.orders.models import Order
from app.orders.service import OrderService
from app.stock.backend import stock_key
from tests.markers import requires
from tests.redis_server import fresh_redis_url
from tests.variants import variant_of

pytestmark = requires("createOrder", "getOrder")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LATER = timedelta(hours=1)


@pytest.fixture(params=["database", "redis"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "database":
        return settings
    return settings.model_copy(update={"redis_url": fresh_redis_url(request)})


async def _place(
    client: httpx.AsyncClient, headers: dict[str, str], product_id: int, quantity: int
) -> int:
    response = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product_id, "quantity": quantity}]},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    order_id: int = response.json()["data"]["id"]
    return order_id


async def _stocks(app: FastAPI, client: httpx.AsyncClient, product_id: int) -> tuple[int, int]:
    """The stock of the product's one variant in the database, and in Redis when there is
    one."""
    app.state.product_cache.clear()
    database = (await client.get(f"/api/v1/products/{product_id}")).json()["data"]["stock"]
    url = app.state.settings.redis_url
    if url is None:
        return database, database
    variant_id = await variant_of(app, product_id)
    with redis.Redis.from_url(url) as sync:
        value = sync.get(stock_key(variant_id))
    return database, int(value) if value is not None else -1


async def _expire(app: FastAPI, now: datetime) -> int:
    async with app.state.sessionmaker() as session:
        return await OrderService(session, app.state.stock).expire_due(now)


async def test_due_orders_expire_and_return_stock_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=10)
    due = await _place(client, customer_headers, product["id"], 3)
    paid = await _place(client, customer_headers, product["id"], 2)
    async with app.state.sessionmaker() as session:
        orders = OrderService(session, app.state.stock)
        await orders.mark_paid(paid, transaction_id="t-1", paid_at=datetime.now(UTC))
    assert await _stocks(app, client, product["id"]) == (5, 5)

    assert await _expire(app, datetime.now(UTC)) == 0  # nothing is due yet
    later = datetime.now(UTC) + LATER
    counts = await asyncio.gather(*(_expire(app, later) for _ in range(4)))
    assert sum(counts) == 1
    assert await _expire(app, later) == 0
    assert await _stocks(app, client, product["id"]) == (8, 8)

    expired = await client.get(f"/api/v1/orders/{due}", headers=customer_headers)
    assert expired.json()["data"]["status"] == "expired"
    cancel = await client.post(f"/api/v1/orders/{due}/cancellation", headers=customer_headers)
    assert cancel.status_code == 409
    assert await _stocks(app, client, product["id"]) == (8, 8)


async def test_the_upkeep_round_expires_what_is_due(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=4)
    order_id = await _place(client, customer_headers, product["id"], 4)
    past = datetime.now(UTC) - timedelta(seconds=1)
    async with app.state.sessionmaker() as session:
        await session.execute(update(Order).where(Order.id == order_id).values(expires_at=past))
        await session.commit()
    done = await run_round(
        Upkeep(
            app.state.sessionmaker,
            app.state.stock,
            payment_window=timedelta(minutes=15),
            idempotency_ttl=timedelta(hours=24),
        )
    )
    assert done.expired == 1
    assert await _stocks(app, client, product["id"]) == (4, 4)


async def test_the_management_command_expires_idempotently(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: dict[str, str],
    make_product: Callable[..., Any],
    settings: Settings,
) -> None:
    product = await make_product(stock=6)
    order_id = await _place(client, customer_headers, product["id"], 5)
    past = datetime.now(UTC) - timedelta(seconds=1)
    async with app.state.sessionmaker() as session:
        await session.execute(update(Order).where(Order.id == order_id).values(expires_at=past))
        await session.commit()
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "JWT_SECRET": "command-test-secret-long-enough-for-hs256",
        "FIRST_SUPERUSER_EMAIL": "",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "app.orders.expire"]
    outputs = []
    for _ in range(2):
        result = subprocess.run(
            command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0].startswith("expired 1 orders")
    assert outputs[1].startswith("expired 0 orders")
    assert await _stocks(app, client, product["id"]) == (6, 6)
