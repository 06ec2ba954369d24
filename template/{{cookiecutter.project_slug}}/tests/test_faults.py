"""Dependencies failing: Redis restarted empty, the database unreachable, an attempt that
failed halfway. The service answers what the contract says and recovers by itself."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.ratelimit import RateLimits
from app.core.redis import create_redis
from app.main import create_app
from app.stock.backend import EPOCH_KEY, StockBackend, StockLine, stock_key
from tests import payloads
from tests.markers import requires
from tests.redis_server import fresh_redis_url
from tests.variants import variant_of

Headers = dict[str, str]


@pytest.fixture
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_url": fresh_redis_url(request)})


async def _order(client: httpx.AsyncClient, headers: Headers, product_id: int, n: int) -> Any:
    response = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product_id, "quantity": n}], **payloads.CREATE_ORDER},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


@requires("createOrder", "cancelOrder", "getProduct")
async def test_redis_restarted_empty_is_reloaded_before_the_next_reservation(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=10)
    held = await _order(client, customer_headers, product["id"], 3)
    url = app.state.settings.redis_url
    with redis.Redis.from_url(url) as server:
        assert server.exists(EPOCH_KEY)
        server.flushall()  # what a restart without persistence leaves
    await _order(client, customer_headers, product["id"], 2)
    cancelled = await client.post(
        f"/api/v1/orders/{held['id']}/cancellation", headers=customer_headers
    )
    assert cancelled.status_code == 200
    read = await client.get(f"/api/v1/products/{product['id']}", headers=customer_headers)
    assert read.json()["data"]["stock"] == 8
    with redis.Redis.from_url(url) as server:
        assert int(server.get(stock_key(await variant_of(app, product["id"]))) or -1) == 8
        assert server.exists(EPOCH_KEY)


@asynccontextmanager
async def _unreachable_database(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # Nothing listens on port 9: every connection is refused, as when PostgreSQL is down.
    down = settings.model_copy(
        update={
            "database_url": "postgresql+asyncpg://shop:shop@127.0.0.1:9/shop",
            "first_superuser_email": None,
            "redis_url": None,
        }
    )
    app = create_app(down)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@requires("listProducts")
async def test_an_unreachable_database_is_503_with_retry_after(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with _unreachable_database(settings) as client:
        response = await client.get("/api/v1/products")
    assert response.status_code == 503
    assert response.json() == {"code": 50302, "data": None, "msg": "Database unavailable"}
    assert response.headers["Retry-After"] == "5"


class _FailingOnce:
    """A stock backend that fails the first reservation the way a dropped connection does."""

    def __init__(self, backend: StockBackend) -> None:
        self.backend = backend
        self.failed = False

    async def reserve(self, reservation: str, lines: list[StockLine]) -> None:
        if not self.failed:
            self.failed = True
            raise ConnectionResetError("connection reset by peer")
        await self.backend.reserve(reservation, lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


@requires("createOrder")
async def test_a_failed_attempt_releases_its_idempotency_key_at_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=5)
    app.state.stock = _FailingOnce(app.state.stock)
    body = {"items": [{"product_id": product["id"], "quantity": 1}], **payloads.CREATE_ORDER}
    headers = {**customer_headers, "Idempotency-Key": "retry-me-at-once"}
    failed = await client.post("/api/v1/orders", json=body, headers=headers)
    assert failed.status_code == 503
    assert failed.headers["Retry-After"]
    retried = await client.post("/api/v1/orders", json=body, headers=headers)
    assert retried.status_code == 201, retried.text


async def test_a_redis_that_never_answers_is_given_up_on_in_time(settings: Settings) -> None:
    """Commands, pipelines and the rate limiter each answer within REDIS_TIMEOUT when Redis
    accepts connections and then says nothing."""
    held: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    silent_settings = settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{port}/0", "redis_timeout": 0.2}
    )
    client = create_redis(silent_settings)
    assert client is not None
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await client.get("anything")
        with pytest.raises(TimeoutError):
            async with client.pipeline(transaction=False) as pipe:
                pipe.get("anything")
                await pipe.execute()
        limits = RateLimits(
            silent_settings.model_copy(update={"rate_limits_enabled": True}), client
        )
        await limits.hit("checkout", "account", "user:1")  # counted locally instead
        assert time.monotonic() - started < 3
    finally:
        await client.aclose()
        for writer in held:
            writer.close()
        server.close()
