"""Served on PostgreSQL and Redis as a shop is deployed: instances that share them agree.

- Caches: a write through one instance (price, stock, status, delete) shows in the reads of
  every worker of another within 100 ms, through Redis pub/sub, although each process keeps
  product reads in memory for 30 s.
- A flash sale over two workers sells exactly the stock: every 201 is an order in
  PostgreSQL, everyone else is told "out of stock", the count ends at 0 in PostgreSQL and in
  Redis, and a retried key gets its first answer again.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from .conftest import POSTGRES_ENV, project_env, run, serve
from .redis_process import RedisProcess
from .shop_setup import ADMIN, CROWD, CUSTOMER, SECRET, redis_stock_key

pytestmark = pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV), reason=f"set {POSTGRES_ENV} to a PostgreSQL database URL"
)

COHERENCE = 0.1  # seconds
BUYERS = 200
STOCK = 20


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(_dsn(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _fetchval(url: str, sql: str, *args: Any) -> Any:
    connection = await asyncpg.connect(_dsn(url))
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


@pytest.fixture
def database() -> Iterator[str]:
    """A database of its own beside the one the tests were given, dropped afterwards."""
    given = make_url(os.environ[POSTGRES_ENV])
    name = f"{given.database}_shared"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        asyncio.run(_execute(str(given), sql))
    yield given.set(database=name).render_as_string(hide_password=False)
    asyncio.run(_execute(str(given), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    process = RedisProcess(tmp_path)
    process.start()
    yield process
    process.stop()


def _env(project: Path, database: str, redis: RedisProcess, **extra: str) -> dict[str, str]:
    env = project_env(
        ENVIRONMENT="production",
        DATABASE_URL=database,
        REDIS_URL=redis.url,
        JWT_SECRET=SECRET,
        FIRST_SUPERUSER_EMAIL=ADMIN["email"],
        FIRST_SUPERUSER_PASSWORD=ADMIN["password"],
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="8192",
        ARGON2_PARALLELISM="1",
        LOG_LEVEL="WARNING",
        ORDER_EXPIRY_INTERVAL="0",
        **CROWD,
        **extra,
    )
    upgrade = run([sys.executable, "-m", "alembic", "upgrade", "head"], project, env)
    assert upgrade.returncode == 0, upgrade.stderr
    return env


def _bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['data']['access_token']}"}


def _sign_in(http: httpx.Client) -> tuple[dict[str, str], dict[str, str]]:
    assert http.post("/api/v1/users", json=CUSTOMER).status_code == 201
    return (
        _bearer(http.post("/api/v1/auth/tokens", json=ADMIN)),
        _bearer(http.post("/api/v1/auth/tokens", json=CUSTOMER)),
    )


def _product(http: httpx.Client, admin: dict[str, str], stock: int) -> tuple[int, int]:
    """A new product of one variant: its id and the variant's."""
    body = {
        "sku": f"TEA-{uuid.uuid4().hex[:8]}",
        "title": "Longjing tea",
        "price_cents": 16800,
        "currency": "CNY",
        "stock": stock,
        "status": "active",
    }
    created = http.post("/api/v1/products", json=body, headers=admin)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    return data["id"], data["variants"][0]["id"]


def _order(http: httpx.Client, customer: dict[str, str], product_id: int, n: int) -> None:
    placed = http.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product_id, "quantity": n}]},
        headers={**customer, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert placed.status_code == 201, placed.text


def _agree(readers: list[httpx.Client], url: str, fresh: Callable[[httpx.Response], bool]) -> None:
    """Read through every reader until well past the deadline: any read that started
    `COHERENCE` seconds after the write returned must see it."""
    written = time.monotonic()
    late = 0
    while late < 10 * len(readers):
        for reader in readers:
            started = time.monotonic()
            read = reader.get(url)
            if started - written > COHERENCE:
                assert fresh(read), f"{started - written:.3f} s after the write: {read.text}"
                late += 1


def _read_everywhere(readers: list[httpx.Client], url: str, times: int = 10) -> None:
    """Fill the cache of every worker behind every reader."""
    for _ in range(times):
        for reader in readers:
            assert reader.get(url).status_code == 200


def test_a_write_shows_in_every_worker_of_every_instance_within_100_ms(
    canonical_project: Path, database: str, redis_process: RedisProcess
) -> None:
    env = _env(canonical_project, database, redis_process, PRODUCT_CACHE_TTL="30")
    with serve(canonical_project, env, workers=2) as first, serve(canonical_project, env) as second:
        admin, customer = _sign_in(first)
        product_id, _ = _product(first, admin, stock=10)
        url = f"/api/v1/products/{product_id}"
        listing = "/api/v1/products?page=1&limit=20"

        def data(read: httpx.Response) -> Any:
            return read.json()["data"]

        for writer, readers in ((second, [first]), (first, [first, second])):
            _read_everywhere([first, second], url)
            price = data(first.get(url))["price_cents"] + 100
            assert writer.patch(url, json={"price_cents": price}, headers=admin).status_code == 200
            _agree(readers, url, lambda read, p=price: data(read)["price_cents"] == p)

            _read_everywhere([first, second], url)
            stock = data(first.get(url))["stock"]
            _order(writer, customer, product_id, 2)
            _agree(readers, url, lambda read, s=stock: data(read)["stock"] == s - 2)

        _read_everywhere([first, second], url)
        hidden = second.patch(url, json={"status": "draft"}, headers=admin)
        assert hidden.status_code == 200
        _agree([first], url, lambda read: read.status_code == 404)
        shown = second.patch(url, json={"status": "active"}, headers=admin)
        assert shown.status_code == 200
        _agree([first], url, lambda read: read.status_code == 200)

        _read_everywhere([first, second], listing)
        assert second.delete(url, headers=admin).status_code in (200, 204)
        _agree([first], url, lambda read: read.status_code == 404)
        _agree([first], listing, lambda read: data(read)["total"] == 0)


async def _rush(base_url: str, customer: dict[str, str], variant_id: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=BUYERS, max_keepalive_connections=BUYERS)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.post(
                    "/api/v1/orders",
                    json={"items": [{"variant_id": variant_id, "quantity": 1}]},
                    headers={**customer, "Idempotency-Key": f"flash-{n:04d}"},
                )
                for n in range(BUYERS)
            )
        )


def test_a_flash_sale_on_postgresql_and_redis_sells_exactly_the_stock(
    canonical_project: Path, database: str, redis_process: RedisProcess
) -> None:
    env = _env(canonical_project, database, redis_process)
    with serve(canonical_project, env) as http:  # one worker creates the admin first
        admin, customer = _sign_in(http)
        _, variant_id = _product(http, admin, stock=STOCK)

    with serve(canonical_project, env, workers=2) as http:
        responses = asyncio.run(_rush(str(http.base_url), customer, variant_id))
        by_key = {f"flash-{n:04d}": response for n, response in enumerate(responses)}
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] * STOCK + [409] * (BUYERS - STOCK), [
            r.text for r in responses if r.status_code not in (201, 409)
        ][:3]
        refusals = {(r.json()["code"], r.json()["msg"]) for r in responses if r.status_code == 409}
        assert refusals == {(40901, "Out of stock")}

        orders = [r.json()["data"]["id"] for r in responses if r.status_code == 201]
        found = asyncio.run(
            _fetchval(
                database,
                "SELECT count(*) FROM orders o JOIN order_items i ON i.order_id = o.id "
                "WHERE o.id = ANY($1::bigint[]) AND i.variant_id = $2 AND i.quantity = 1",
                orders,
                variant_id,
            )
        )
        assert found == STOCK
        assert asyncio.run(_fetchval(database, "SELECT count(*) FROM orders")) == STOCK
        stock = "SELECT stock FROM product_variants WHERE id = $1"
        assert asyncio.run(_fetchval(database, stock, variant_id)) == 0
        with redis_process.client() as client:
            assert int(client.get(redis_stock_key(variant_id)) or -1) == 0

        # Every key gets its first answer again, a sale or a refusal alike.
        for key in ("flash-0000", "flash-0199"):
            first = by_key[key]
            again = http.post(
                "/api/v1/orders",
                json={"items": [{"variant_id": variant_id, "quantity": 1}]},
                headers={**customer, "Idempotency-Key": key},
            )
            assert again.status_code == first.status_code
            assert again.json() == first.json()
            assert again.headers["Idempotent-Replayed"] == "true"
        sold = next(key for key, response in by_key.items() if response.status_code == 201)
        again = http.post(
            "/api/v1/orders",
            json={"items": [{"variant_id": variant_id, "quantity": 1}]},
            headers={**customer, "Idempotency-Key": sold},
        )
        assert again.status_code == 201
        assert again.json() == by_key[sold].json()
        assert asyncio.run(_fetchval(database, "SELECT count(*) FROM orders")) == STOCK
