"""Stock backends against a real redis-server and the test database."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from redis.crc import key_slot

from app.core.locks import RedisLock, try_lock
from app.core.redis import RedisClient, create_redis
from app.stock import ledger
from app.stock.backend import (
    DatabaseStockBackend,
    OutOfStock,
    RedisStockBackend,
    StockLine,
    StockUnavailable,
    reservation_key,
    restock_key,
    stock_key,
)
from tests.redis_server import free_port
from tests.variants import variant_of, variant_stock


@pytest.fixture
def backend(app: FastAPI, redis_client: Redis) -> RedisStockBackend:
    return RedisStockBackend(redis_client, app.state.sessionmaker, reservation_ttl=3600)


@pytest.fixture
def make_variant(app: FastAPI, make_product: Callable[..., Any]) -> Callable[..., Any]:
    """A product with one variant; its variant's id, which stock is counted by."""

    async def make(**fields: Any) -> int:
        product = await make_product(**fields)
        return await variant_of(app, product["id"])

    return make


async def _count(redis: Redis, variant_id: int) -> int:
    value = await redis.get(stock_key(variant_id))
    assert value is not None
    return int(value)


async def _database_count(app: FastAPI, variant_id: int) -> int:
    return await variant_stock(app, variant_id)


def _dead_redis(app: FastAPI) -> RedisClient:
    settings = app.state.settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    client = create_redis(settings)
    assert client is not None
    return client


def test_a_variants_keys_share_one_cluster_slot() -> None:
    assert key_slot(stock_key(42).encode()) == key_slot(reservation_key(42, "abc").encode())
    assert key_slot(stock_key(42).encode()) == key_slot(restock_key(42, "refund-1").encode())
    assert stock_key(42) == "stock:{v42}"
    assert reservation_key(42, "abc") == "resv:{v42}:abc"
    assert restock_key(42, "refund-1") == "rstk:{v42}:refund-1"


async def test_restock_adds_units_once_per_token(
    backend: RedisStockBackend, redis_client: Redis, make_variant: Callable[..., Any]
) -> None:
    variant = await make_variant(stock=5)
    await backend.warm()
    line = StockLine(variant, 2, "TEA-1")
    await backend.restock("refund-1", [line])
    await backend.restock("refund-1", [line])  # a repeat adds nothing
    assert await _count(redis_client, variant) == 7
    await backend.restock("refund-2", [line])
    assert await _count(redis_client, variant) == 9


async def test_reserve_takes_stock_once_per_reservation(
    backend: RedisStockBackend, redis_client: Redis, make_variant: Callable[..., Any]
) -> None:
    variant = await make_variant(stock=5)
    line = StockLine(variant, 2, "TEA-1")
    await backend.reserve("order-a", [line])
    await backend.reserve("order-a", [line])  # a replay changes nothing
    assert await _count(redis_client, variant) == 3
    assert await redis_client.ttl(reservation_key(variant, "order-a")) > 3000


async def test_out_of_stock_changes_nothing(
    backend: RedisStockBackend, redis_client: Redis, make_variant: Callable[..., Any]
) -> None:
    plenty = await make_variant(sku="A", stock=10)
    scarce = await make_variant(sku="B", stock=1)
    lines = [StockLine(plenty, 3, "A", 0), StockLine(scarce, 2, "B", 1)]
    with pytest.raises(OutOfStock) as raised:
        await backend.reserve("order-a", lines)
    assert raised.value.data == {
        "errors": [
            {
                "field": "items.1.quantity",
                "message": "Only 1 unit of B left.",
                "type": "out_of_stock",
            }
        ]
    }
    assert await _count(redis_client, plenty) == 10
    assert await _count(redis_client, scarce) == 1
    assert await redis_client.exists(reservation_key(plenty, "order-a")) == 0


async def test_reserve_all_answers_each_order_as_reserve_would(
    backend: RedisStockBackend, redis_client: Redis, make_variant: Callable[..., Any]
) -> None:
    plenty = await make_variant(sku="A", stock=10)
    scarce = await make_variant(sku="B", stock=1)
    await backend.warm()
    await redis_client.delete(stock_key(plenty))  # a count Redis lacks is warmed, as reserve does
    orders = [
        ("order-a", [StockLine(plenty, 3, "A", 0)]),
        ("order-b", [StockLine(plenty, 2, "A", 0), StockLine(scarce, 2, "B", 1)]),
        ("order-c", [StockLine(scarce, 1, "B", 0), StockLine(plenty, 1, "A", 1)]),
    ]
    first, short, last = await backend.reserve_all(orders)
    assert first is None and last is None
    assert isinstance(short, OutOfStock)
    # Counted when it was refused: order-c, behind it in the round trip, took the last unit.
    assert short.data["errors"][0]["message"] == "Only 0 units of B left."
    # The short order holds nothing, not even its line that fitted.
    assert await _count(redis_client, plenty) == 6
    assert await _count(redis_client, scarce) == 0
    assert await redis_client.exists(reservation_key(plenty, "order-b")) == 0
    assert await redis_client.exists(reservation_key(scarce, "order-c")) == 1
    # Again, as a retry would: each reservation is held once.
    assert await backend.reserve_all(orders[:1] + orders[2:]) == [None, None]
    assert await _count(redis_client, plenty) == 6


async def test_release_returns_stock_exactly_once(
    backend: RedisStockBackend, redis_client: Redis, make_variant: Callable[..., Any]
) -> None:
    variant = await make_variant(stock=5)
    line = StockLine(variant, 4)
    await backend.reserve("order-a", [line])
    await asyncio.gather(*(backend.release("order-a", [line]) for _ in range(5)))
    assert await _count(redis_client, variant) == 5


async def test_confirm_keeps_the_stock_sold(
    backend: RedisStockBackend, redis_client: Redis, make_variant: Callable[..., Any]
) -> None:
    variant = await make_variant(stock=5)
    line = StockLine(variant, 2)
    await backend.reserve("order-a", [line])
    await backend.confirm("order-a", [line])
    await backend.release("order-a", [line])  # too late: nothing to give back
    assert await _count(redis_client, variant) == 3


async def test_concurrent_buyers_never_oversell(
    backend: RedisStockBackend, redis_client: Redis, make_variant: Callable[..., Any]
) -> None:
    variant = await make_variant(stock=10)
    line = StockLine(variant, 1)

    async def buy(n: int) -> bool:
        try:
            await backend.reserve(f"order-{n}", [line])
        except OutOfStock:
            return False
        return True

    results = await asyncio.gather(*(buy(n) for n in range(50)))
    assert sum(results) == 10
    assert await _count(redis_client, variant) == 0


async def test_a_missing_count_is_warmed_from_the_database(
    app: FastAPI,
    backend: RedisStockBackend,
    redis_client: Redis,
    make_variant: Callable[..., Any],
) -> None:
    first = await make_variant(sku="A", stock=7)
    second = await make_variant(sku="B", stock=3)
    assert await backend.warm() == 2
    await redis_client.delete(stock_key(first))
    await backend.reserve("order-a", [StockLine(first, 2)])
    assert await _count(redis_client, first) == 5
    assert await _count(redis_client, second) == 3


async def test_warm_up_is_skipped_while_another_worker_holds_the_lock(
    backend: RedisStockBackend, redis_client: Redis, make_variant: Callable[..., Any]
) -> None:
    await make_variant(stock=7)
    async with try_lock(redis_client, "stock:warm", 10_000) as locked:
        assert locked
        assert await backend.warm() == 0
    assert await backend.warm() == 1


async def test_reconcile_rewrites_drift_seen_twice(
    app: FastAPI,
    backend: RedisStockBackend,
    redis_client: Redis,
    make_variant: Callable[..., Any],
) -> None:
    variant = await make_variant(stock=8)
    await backend.warm()
    await redis_client.set(stock_key(variant), 3)  # e.g. a release lost in an outage
    assert await backend.reconcile() == 0  # maybe an order in flight: wait and see
    assert await _count(redis_client, variant) == 3
    assert await backend.reconcile() == 1
    assert await _count(redis_client, variant) == await _database_count(app, variant)


async def test_redis_down_fails_closed(app: FastAPI, make_variant: Callable[..., Any]) -> None:
    variant = await make_variant(stock=5)
    dead = _dead_redis(app)
    backend = RedisStockBackend(dead, app.state.sessionmaker, reservation_ttl=3600)
    started = time.monotonic()
    with pytest.raises(StockUnavailable) as raised:
        await backend.reserve("order-a", [StockLine(variant, 1)])
    assert time.monotonic() - started < 1.0  # short timeouts: refused, not hung
    assert raised.value.status_code == 503
    assert raised.value.headers["Retry-After"]
    await backend.release("order-a", [StockLine(variant, 1)])  # never raises
    await dead.aclose()


async def test_redis_down_with_the_database_policy_lets_the_database_decide(
    app: FastAPI, make_variant: Callable[..., Any]
) -> None:
    variant = await make_variant(stock=5)
    dead = _dead_redis(app)
    backend = RedisStockBackend(
        dead, app.state.sessionmaker, reservation_ttl=3600, down_policy="database"
    )
    await backend.reserve("order-a", [StockLine(variant, 1)])
    await dead.aclose()


async def test_the_database_ledger_refuses_to_oversell(
    app: FastAPI, make_variant: Callable[..., Any]
) -> None:
    variant = await make_variant(stock=3)
    line = StockLine(variant, 2, "TEA-1")
    async with app.state.sessionmaker() as session:
        await ledger.take(session, [line])
        await session.commit()
        with pytest.raises(OutOfStock):
            await ledger.take(session, [line])
        await session.rollback()
    assert await _database_count(app, variant) == 1
    await DatabaseStockBackend().reserve("order-a", [line])  # no gate of its own


async def test_a_lock_is_released_only_by_its_holder(redis_client: Redis) -> None:
    mine = RedisLock(redis_client, "job", 10_000)
    theirs = RedisLock(redis_client, "job", 10_000)
    assert await mine.acquire()
    assert not await theirs.acquire()
    assert not await theirs.release()
    assert await redis_client.exists("lock:job") == 1
    await redis_client.delete("lock:job")  # as if my TTL lapsed...
    assert await theirs.acquire()  # ...and they took it
    assert not await mine.release()  # my release must not delete their lock
    assert await redis_client.exists("lock:job") == 1
    assert await theirs.extend()
    assert await theirs.release()
