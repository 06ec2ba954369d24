"""Fixtures: a fresh database per test, the app with test settings, clients by role.

The database is SQLite in a temporary directory unless `TEST_DATABASE_URL` names another
(e.g. `postgresql+asyncpg://...`): then the tables are created once for the session, emptied
before each test (`TRUNCATE ... RESTART IDENTITY`) and dropped when the session ends.
"""

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.models import User
from app.auth.service import AuthService
from app.core.config import DatabaseSettings, Settings
from app.core.db import Base, create_engine
from app.main import create_app
from app.orders import models as order_models  # noqa: F401 - registers the tables
from app.products import models as product_models  # noqa: F401 - registers the tables
from tests import payloads
from tests.redis_server import RedisServer, redis_server_executable

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-for-tests"
CUSTOMER_PASSWORD = "customer-password"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="session")
async def server_tables() -> AsyncIterator[str | None]:
    """The tables of the `TEST_DATABASE_URL` database, made once and dropped at the end;
    None when the tests run on SQLite files of their own."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield None
        return
    pooling = DatabaseSettings(_env_file=None).database_transaction_pooling  # type: ignore[call-arg]
    engine = create_engine(url, transaction_pooling=pooling)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    yield url
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
    await engine.dispose()


@pytest.fixture
async def engine(settings: Settings, server_tables: str | None) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(
        settings.database_url, transaction_pooling=settings.database_transaction_pooling
    )
    async with engine.begin() as connection:
        if settings.database_url == server_tables:
            names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            await connection.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        database_url=database_url,
        redis_url=None,
        jwt_secret="test-secret-that-is-long-enough-for-hs256-keys",  # type: ignore[arg-type]
        first_superuser_email=ADMIN_EMAIL,
        first_superuser_password=ADMIN_PASSWORD,  # type: ignore[arg-type]
        wechat_app_id="wx-test-app",
        wechat_app_secret="wechat-test-secret",  # type: ignore[arg-type]
        wechat_api_base="http://wechat.invalid",
        product_cache_ttl=30,
        # Tests run order upkeep themselves, when they mean to.
        order_expiry_interval=0,
        # One customer stands for a crowd in the order tests: limits have their own tests.
        rate_limits_enabled=False,
        max_pending_orders=1000,
        max_held_units_per_product=1000,
        # Cheap hashes keep the suite fast; production keeps the strong defaults.
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(redis_server_executable(), tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """A client of the session's redis-server, emptied before each test."""
    if not redis_server.running:
        redis_server.start()
    client = Redis.from_url(redis_server.url, socket_timeout=2)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _headers_for(app: FastAPI, email: str, password: str | None = None) -> dict[str, str]:
    """A bearer token for a user, issued directly: tests of other operations do not depend on
    the contract having the token operations."""
    async with app.state.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.email == email))
        if user is None:
            auth = AuthService(session, app.state.token_codec, app.state.passwords)
            user = await auth.register(email, password or CUSTOMER_PASSWORD, None)
    token, _ = app.state.token_codec.issue(str(user.id), "access", role=user.role)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def admin_headers(app: FastAPI) -> dict[str, str]:
    return await _headers_for(app, ADMIN_EMAIL)


@pytest.fixture
async def customer_headers(app: FastAPI) -> dict[str, str]:
    return await _headers_for(app, "customer@example.com")


@pytest.fixture
async def other_customer_headers(app: FastAPI) -> dict[str, str]:
    return await _headers_for(app, "other-customer@example.com")


@pytest.fixture
def make_product(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> Callable[..., Any]:
    async def make(**fields: Any) -> dict[str, Any]:
        body = {
            "sku": "TEA-1",
            "title": "Longjing tea",
            "price_cents": 16800,
            "currency": "CNY",
            "status": "active",
            "stock": 5,
            **payloads.CREATE_PRODUCT,
            **fields,
        }
        response = await client.post("/api/v1/products", json=body, headers=admin_headers)
        assert response.status_code == 201, response.text
        product: dict[str, Any] = response.json()["data"]
        return product

    return make
