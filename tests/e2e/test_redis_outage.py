"""Redis stopped under a running service: orders fail closed with 503, fast, without writing
anything; Redis started again (empty): orders work again by themselves."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import serve
from .redis_process import RedisProcess
from .shop_setup import Shop, database_stock, open_shop, order_count, redis_stock_key, shop_env

TIMELY = 2.0  # seconds: an outage is answered, not waited out


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    process = RedisProcess(tmp_path)
    process.start()
    yield process
    process.stop()


def _order(http: httpx.Client, shop: Shop, key: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = http.post(
        "/api/v1/orders",
        json={"items": [{"product_id": shop.product_id, "quantity": 1}]},
        headers={**shop.customer, "Idempotency-Key": key},
    )
    return response, time.monotonic() - started


def test_orders_fail_closed_while_redis_is_down_and_recover(
    canonical_project: Path, tmp_path: Path, redis_process: RedisProcess
) -> None:
    database = tmp_path / "outage.db"
    env = shop_env(canonical_project, database, REDIS_URL=redis_process.url)
    with serve(canonical_project, env) as http:
        shop = open_shop(http, 10)
        for n in range(2):
            placed, _ = _order(http, shop, f"before-outage-{n}")
            assert placed.status_code == 201, placed.text
        assert database_stock(database, shop.variant_id) == 8

        redis_process.stop()
        for n in range(5):
            refused, took = _order(http, shop, f"during-outage-{n}")
            assert refused.status_code == 503, refused.text
            assert refused.json() == {
                "code": 50301,
                "data": None,
                "msg": "Stock backend unavailable",
            }
            assert int(refused.headers["Retry-After"]) > 0
            assert took < TIMELY
        assert order_count(database) == 2
        assert database_stock(database, shop.variant_id) == 8
        health = http.get("/api/v1/health").json()["data"]
        assert health["redis"] == "down"
        reads = http.get(f"/api/v1/products/{shop.product_id}")
        assert reads.status_code == 200  # the catalogue does not need Redis

        redis_process.start()  # same port, empty: counts come back from the database
        retried, _ = _order(http, shop, "during-outage-0")  # a 503 left no record
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers
        assert order_count(database) == 3
        assert database_stock(database, shop.variant_id) == 7
        with redis_process.client() as client:
            assert int(client.get(redis_stock_key(shop.variant_id)) or -1) == 7
