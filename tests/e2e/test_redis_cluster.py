"""A generated service on a real three-master Redis Cluster (the flash sale over it is in
test_flash_sale.py): the stock scripts on variants spread over every master, the lock, the
period claims of the upkeep jobs, product caches of two instances cleared together, and rate
limits shared by workers."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
from redis.cluster import RedisCluster as RedisClusterClient
from redis.cluster import key_slot

from .conftest import run, serve
from .redis_cluster import RedisCluster
from .shop_setup import ADMIN, migrated_env, redis_stock_key

# Run inside the baked project, with its own modules, against the cluster.
SCRIPT = """
import asyncio, sys

import app.main  # registers every table the stock backend reads
from app.core.config import get_settings
from app.core.db import create_engine, create_sessionmaker
from app.core.locks import RedisLock
from app.core.periodic import claim_period
from app.core.redis import create_redis
from app.products.cache import ProductCache
from app.products.invalidation import CacheInvalidation
from app.stock.backend import RedisStockBackend, StockLine, stock_key

PRODUCTS = [int(arg) for arg in sys.argv[1:]]


async def main() -> None:
    settings = get_settings()
    redis = create_redis(settings)
    assert type(redis).__name__ == "RedisCluster", type(redis)
    engine = create_engine(settings.database_url)
    stock = RedisStockBackend(
        redis, create_sessionmaker(engine), reservation_ttl=3600, down_policy="fail_closed"
    )
    await stock.warm()
    for product in PRODUCTS:
        await stock.set_level(product, 2)
    lines = [StockLine(product, 1) for product in PRODUCTS]
    await stock.reserve("order-1", lines)
    await stock.reserve("order-1", lines)  # replayed: nothing more is taken
    await stock.reserve("order-2", lines)
    counts = [int(await redis.get(stock_key(product))) for product in PRODUCTS]
    assert counts == [0] * len(PRODUCTS), counts
    try:
        await stock.reserve("order-3", lines)
    except Exception as error:
        assert type(error).__name__ == "OutOfStock", error
    else:
        raise AssertionError("sold a unit that was not there")
    await stock.release("order-1", lines)
    await stock.release("order-1", lines)  # stock returns once
    await stock.confirm("order-2", lines)
    await stock.release("order-2", lines)  # paid: nothing returns
    counts = [int(await redis.get(stock_key(product))) for product in PRODUCTS]
    assert counts == [1] * len(PRODUCTS), counts

    first, second = RedisLock(redis, "payments:42", 5000), RedisLock(redis, "payments:42", 5000)
    assert await first.acquire() and not await second.acquire()
    assert not await second.release()  # not its token: the holder's lock stays
    assert await first.extend() and await first.release()
    assert await second.acquire() and await second.release()

    assert await claim_period(redis, "orders:upkeep", 60, 1200.5)
    assert not await claim_period(redis, "orders:upkeep", 60, 1210.0)

    # Two instances, each with its own connections: a write in one clears the other's cache.
    other = create_redis(settings)
    here, there = ProductCache(ttl=60), ProductCache(ttl=60)
    links = [CacheInvalidation(here, redis), CacheInvalidation(there, other)]
    tasks = [asyncio.create_task(link.run()) for link in links]
    await asyncio.wait_for(asyncio.gather(*(link.subscribed.wait() for link in links)), 10)
    there.put("product:1", "old price")
    here.clear()
    for _ in range(500):
        if there.get("product:1") is None:
            break
        await asyncio.sleep(0.01)
    assert there.get("product:1") is None, "the other instance kept its cache"
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await other.aclose()
    await redis.aclose()
    await engine.dispose()
    print("ok")


asyncio.run(main())
"""


def _master_of(client: RedisClusterClient, product: int) -> int:
    node = client.nodes_manager.get_node_from_slot(key_slot(redis_stock_key(product).encode()))
    return int(node.port)


def _products_on_every_master(cluster: RedisCluster) -> list[int]:
    """Product ids whose keys hash to slots of three different masters, one each."""
    owners: dict[int, int] = {}
    with cluster.client() as client:
        product = 0
        while len(owners) < len(cluster.ports):
            product += 1
            owners.setdefault(_master_of(client, product), product)
    return sorted(owners.values())


def _by_master(cluster: RedisCluster, products: list[int]) -> list[int]:
    """`products` in the order of `cluster.ports`, each beside the master that holds it."""
    with cluster.client() as client:
        where = {_master_of(client, product): product for product in products}
    return [where[port] for port in cluster.ports]


def test_stock_lock_and_claims_work_across_the_masters(
    canonical_project: Path, tmp_path: Path, redis_cluster: RedisCluster
) -> None:
    redis_cluster.flush()
    products = _products_on_every_master(redis_cluster)
    env = migrated_env(canonical_project, tmp_path / "stock.db", REDIS_URL=redis_cluster.url)
    done = run([sys.executable, "-c", SCRIPT, *map(str, products)], canonical_project, env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"
    # One product's count on each master: the scripts ran on all three.
    for port, product in zip(redis_cluster.ports, _by_master(redis_cluster, products), strict=True):
        with redis_cluster.node(port) as node:
            assert node.get(redis_stock_key(product)) == b"1", (port, product)


async def _logins(base_url: str, attempts: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        wrong = {"email": ADMIN["email"], "password": "not-the-password-1"}
        return [await client.post("/api/v1/auth/tokens", json=wrong) for _ in range(attempts)]


def test_rate_limits_are_counted_in_the_cluster(
    canonical_project: Path, tmp_path: Path, redis_cluster: RedisCluster
) -> None:
    redis_cluster.flush()
    env = migrated_env(
        canonical_project,
        tmp_path / "limits.db",
        REDIS_URL=redis_cluster.url,
        RATE_LIMIT_AUTH_PER_ACCOUNT="3/minute",
    )
    with serve(canonical_project, env, workers=2) as http:
        answers = asyncio.run(_logins(str(http.base_url), 5))
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429, 429]
    refused = answers[3]
    assert refused.json()["code"] == 42901
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    with redis_cluster.client() as client:
        assert client.keys("ratelimit*", target_nodes="primaries")
