"""A flash sale through a real uvicorn with several workers: 200 buyers, 20 units of a variant.

Run with Redis in front of the database, with a three-master Redis Cluster there instead,
and with the database alone. Exactly 20
orders succeed, the rest are told the product is out of stock, and the count ends at 0 in
Redis and in the database; cancellation and expiry (the command and the in-app job) then
return every unit exactly once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import serve
from .redis_cluster import RedisCluster
from .redis_process import RedisProcess
from .shop_setup import Shop, database_stock, open_shop, order_count, redis_stock_key, shop_env

BUYERS = 200
STOCK = 20
WORKERS = 3
DEADLINE = 30.0


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    process = RedisProcess(tmp_path)
    process.start()
    yield process
    process.stop()


async def _rush(base_url: str, shop: Shop) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=BUYERS, max_keepalive_connections=BUYERS)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:

        async def buy(n: int) -> httpx.Response:
            return await client.post(
                "/api/v1/orders",
                json={"items": [{"variant_id": shop.variant_id, "quantity": 1}]},
                headers={**shop.customer, "Idempotency-Key": f"flash-sale-{n:04d}"},
            )

        return await asyncio.gather(*(buy(n) for n in range(BUYERS)))


async def _cancel_twice(base_url: str, shop: Shop, order_ids: list[int]) -> list[int]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        responses = await asyncio.gather(
            *(
                client.post(f"/api/v1/orders/{order_id}/cancellation", headers=shop.customer)
                for order_id in order_ids * 2
            )
        )
    return sorted(r.status_code for r in responses)


def _make_due(database: Path, order_ids: list[int]) -> None:
    marks = ",".join("?" * len(order_ids))
    with sqlite3.connect(database) as connection:
        connection.execute(
            f"UPDATE orders SET expires_at = '2000-01-01 00:00:00.000000' WHERE id IN ({marks})",
            order_ids,
        )


def _redis_stock(redis: RedisProcess | RedisCluster | None, variant_id: int) -> int | None:
    if redis is None:
        return None
    with redis.client() as client:
        value = client.get(redis_stock_key(variant_id))
    return int(value) if value is not None else None


def _wait_for(condition: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.05)


@pytest.mark.parametrize("backend", ["redis", "cluster", "database"])
def test_a_flash_sale_sells_exactly_the_stock(
    canonical_project: Path, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    redis: RedisProcess | RedisCluster | None = None
    extra: dict[str, str] = {}
    if backend == "redis":
        redis = request.getfixturevalue("redis_process")
        extra["REDIS_URL"] = redis.url
    elif backend == "cluster":
        redis = request.getfixturevalue("redis_cluster")
        redis.flush()
        extra["REDIS_URL"] = redis.url
    database = tmp_path / "flash.db"
    env = shop_env(canonical_project, database, **extra)
    with serve(canonical_project, env) as http:  # one worker creates the admin first
        shop = open_shop(http, STOCK)

    with serve(canonical_project, env, workers=WORKERS) as http:
        base_url = str(http.base_url)
        started = time.monotonic()
        responses = asyncio.run(_rush(base_url, shop))
        print(f"{BUYERS} orders over {WORKERS} workers: {time.monotonic() - started:.2f} s")
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * STOCK + [409] * (BUYERS - STOCK), [
            r.text for r in responses if r.status_code not in (201, 409)
        ][:3]
        refusals = {(r.json()["code"], r.json()["msg"]) for r in responses if r.status_code == 409}
        assert refusals == {(40901, "Out of stock")}
        assert database_stock(database, shop.variant_id) == 0
        assert order_count(database) == STOCK
        assert _redis_stock(redis, shop.variant_id) in (None, 0)
        product = http.get(f"/api/v1/products/{shop.product_id}").json()["data"]
        assert product["stock"] == 0

        sold = sorted(r.json()["data"]["id"] for r in responses if r.status_code == 201)
        cancelled, by_command, by_job = sold[:5], sold[5:15], sold[15:]

        # Each cancellation sent twice at once: one wins, the other is an illegal transition.
        assert asyncio.run(_cancel_twice(base_url, shop, cancelled)) == [200] * 5 + [409] * 5
        assert database_stock(database, shop.variant_id) == 5
        assert _redis_stock(redis, shop.variant_id) in (None, 5)

    # The management command, twice at once: each due order expires once.
    _make_due(database, by_command)
    command = [sys.executable, "-m", "app.orders.expire"]
    runs = [
        subprocess.Popen(command, cwd=canonical_project, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert sum(int(out.split()[1]) for out in outputs) == len(by_command), outputs
    assert database_stock(database, shop.variant_id) == 15
    assert _redis_stock(redis, shop.variant_id) in (None, 15)

    # The in-app job, running in every worker: the rest expire, their stock returns once.
    _make_due(database, by_job)
    with serve(canonical_project, {**env, "ORDER_EXPIRY_INTERVAL": "0.2"}, workers=2):
        _wait_for("the job to expire the rest", lambda: order_count(database, "expired") == 15)
        assert database_stock(database, shop.variant_id) == STOCK
        assert _redis_stock(redis, shop.variant_id) in (None, STOCK)
        assert order_count(database, "pending_payment") == 0
