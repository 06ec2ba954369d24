"""Abuse: oversized bodies, floods of logins and orders, customers hoarding stock."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.main import create_app
from tests import payloads
from tests.markers import requires
from tests.redis_server import RedisServer

Headers = dict[str, str]
USERS = "/api/v1/users"
TOKENS = "/api/v1/auth/tokens"
ORDERS = "/api/v1/orders"


@asynccontextmanager
async def served(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=changes))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@requires("registerUser")
async def test_a_declared_body_over_the_limit_is_413_before_it_is_read(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    limit = app.state.settings.max_body_bytes
    response = await client.post(USERS, content=b"x" * (limit + 1), headers=_json())
    assert response.status_code == 413
    assert response.json() == {
        "code": 41301,
        "data": None,
        "msg": f"Request body is larger than {limit} bytes",
    }


@requires("registerUser")
async def test_a_streamed_body_stops_being_read_at_the_limit(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    limit = app.state.settings.max_body_bytes
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(limit // 1024 * 4):
            sent += 1024
            yield b" " * 1024

    response = await client.post(USERS, content=chunks(), headers=_json())
    assert response.status_code == 413
    assert response.json()["code"] == 41301
    assert sent < limit * 2


@requires("createToken")
async def test_login_attempts_are_limited_per_account(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with served(
        settings,
        rate_limits_enabled=True,
        rate_limit_auth_per_account="3/minute",
        rate_limit_auth_per_ip="100/minute",
    ) as client:
        attempt = {"email": "victim@example.com", "password": "guess-number-x"}
        codes = [(await client.post(TOKENS, json=attempt)).status_code for _ in range(3)]
        assert codes == [401, 401, 401]
        refused = await client.post(TOKENS, json=attempt)
        assert refused.status_code == 429
        assert refused.json() == {"code": 42901, "data": None, "msg": "Too many requests"}
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Another account from the same address is not affected.
        other = await client.post(TOKENS, json={**attempt, "email": "other@example.com"})
        assert other.status_code == 401


@requires("registerUser")
async def test_registrations_are_limited_per_ip(settings: Settings, engine: AsyncEngine) -> None:
    async with served(
        settings, rate_limits_enabled=True, rate_limit_auth_per_ip="2/minute"
    ) as client:
        codes = [(await client.post(USERS, json=_registration(n))).status_code for n in range(3)]
        assert codes == [201, 201, 429]


@requires("registerUser")
async def test_registrations_are_limited_per_address(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with served(
        settings,
        rate_limits_enabled=True,
        rate_limit_auth_per_account="2/minute",
        rate_limit_auth_per_ip="100/minute",
    ) as client:
        again = _registration(0)
        codes = [(await client.post(USERS, json=again)).status_code for _ in range(3)]
        assert codes[:2] == [201, 409]
        assert codes[2] == 429
        # The same address in other letters is the same account.
        shouting = {**again, "email": again["email"].upper()}
        assert (await client.post(USERS, json=shouting)).status_code == 429
        assert (await client.post(USERS, json=_registration(1))).status_code == 201


@requires("createToken")
async def test_limits_are_shared_through_redis(
    settings: Settings, engine: AsyncEngine, redis_client: Redis, redis_server: RedisServer
) -> None:
    """Two workers count one account's attempts together."""
    changes = {
        "redis_url": redis_server.url,
        "rate_limits_enabled": True,
        "rate_limit_auth_per_account": "2/minute",
    }
    attempt = {"email": "victim@example.com", "password": "guess-number-x"}
    async with served(settings, **changes) as first, served(settings, **changes) as second:
        assert (await first.post(TOKENS, json=attempt)).status_code == 401
        assert (await second.post(TOKENS, json=attempt)).status_code == 401
        assert (await first.post(TOKENS, json=attempt)).status_code == 429
        assert (await second.post(TOKENS, json=attempt)).status_code == 429
    assert await redis_client.keys("ratelimit*")


@requires("createToken")
async def test_limits_hold_in_memory_when_redis_is_down(
    settings: Settings, engine: AsyncEngine
) -> None:
    changes = {
        "redis_url": "redis://127.0.0.1:9/0",
        "rate_limits_enabled": True,
        "rate_limit_auth_per_account": "1/minute",
    }
    attempt = {"email": "victim@example.com", "password": "guess-number-x"}
    async with served(settings, **changes) as client:
        assert (await client.post(TOKENS, json=attempt)).status_code == 401
        assert (await client.post(TOKENS, json=attempt)).status_code == 429


@requires("createOrder")
async def test_a_customer_cannot_hold_more_unpaid_orders_than_the_cap(
    settings: Settings,
    engine: AsyncEngine,
    make_product: Callable[..., Any],
    customer_headers: Headers,
) -> None:
    product = await make_product(stock=1000)
    async with served(settings, max_pending_orders=2, max_held_units_per_product=1000) as client:
        codes = []
        for n in range(3):
            response = await client.post(
                ORDERS,
                json=_order(product["id"], 10),
                headers={**customer_headers, "Idempotency-Key": f"hoard-{n:04d}"},
            )
            codes.append(response.status_code)
        assert codes == [201, 201, 409]
        assert response.json()["code"] == 40905
        assert response.json()["data"]["errors"][0]["type"] == "pending_orders_limit"


@requires("createOrder")
async def test_a_customer_cannot_hold_more_units_of_a_product_than_the_cap(
    settings: Settings,
    engine: AsyncEngine,
    make_product: Callable[..., Any],
    customer_headers: Headers,
) -> None:
    product = await make_product(stock=1000)
    async with served(settings, max_pending_orders=10, max_held_units_per_product=15) as client:
        first = await client.post(
            ORDERS, json=_order(product["id"], 10), headers=_keyed(customer_headers, "units-1")
        )
        assert first.status_code == 201
        second = await client.post(
            ORDERS, json=_order(product["id"], 6), headers=_keyed(customer_headers, "units-2")
        )
        assert second.status_code == 409
        assert second.json()["data"]["errors"] == [
            {
                "field": "items.0.quantity",
                "message": "At most 15 units of TEA-1 in unpaid orders at a time.",
                "type": "units_held_limit",
            }
        ]
        product_after = await client.get(f"/api/v1/products/{product['id']}")
        assert product_after.json()["data"]["stock"] == 990


def _json() -> Headers:
    return {"Content-Type": "application/json"}


def _keyed(headers: Headers, key: str) -> Headers:
    return {**headers, "Idempotency-Key": f"key-{key}"}


def _order(product_id: int, quantity: int) -> dict[str, Any]:
    return {"items": [{"product_id": product_id, "quantity": quantity}], **payloads.CREATE_ORDER}


def _registration(n: int) -> dict[str, Any]:
    return {
        "email": f"person{n}@example.com",
        "password": "correct-horse-battery",
        **payloads.REGISTER_USER,
    }
