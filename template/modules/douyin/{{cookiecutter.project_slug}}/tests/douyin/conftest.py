"""The fake Douyin gateway (one uvicorn server for the session, a fresh fake per test) and the
module's pieces wired to it: gateway, token manager, client, mirror and sync."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import Receive, Scope, Send

from app.core.config import Settings
from app.core.db import create_sessionmaker
from app.douyin.client import DouyinClient, TokenApi
from app.douyin.config import DouyinSettings
from app.douyin.crypto import TokenCipher
from app.douyin.gateway import DouyinGateway
from app.douyin.mirror import Mirror
from app.douyin.sync import DouyinSync
from app.douyin.tokens import TokenManager
from app.main import create_app
from app.products.models import DEFAULT_TITLE, Product, ProductVariant
from app.products.service import option_key
from app.stock.backend import DatabaseStockBackend
from tests.douyin.fake_gateway import Clock, FakeDouyin, RealClock, serve

APP_KEY = "7152431862951634475"
APP_SECRET = "douyin-test-app-secret-0a1b2c3d"
SHOP_ID = "20458713"
TOKEN_KEY = "douyin-token-key-for-tests-0123456789abcdef"


class _Current:
    """The session's server answers with whichever fake the running test made."""

    def __init__(self) -> None:
        self.fake: FakeDouyin | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.fake is not None, "no fake Douyin gateway in this test"
        await self.fake.app(scope, receive, send)


@pytest.fixture(scope="session")
def gateway_server() -> Iterator[tuple[_Current, str]]:
    current = _Current()
    holder = FakeDouyin(APP_KEY, APP_SECRET, Clock())
    holder.app = current  # type: ignore[assignment]
    with serve(holder) as url:
        yield current, url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(gateway_server: tuple[_Current, str], clock: Clock) -> Iterator[FakeDouyin]:
    current, _ = gateway_server
    made = FakeDouyin(APP_KEY, APP_SECRET, clock)
    made.add_shop(SHOP_ID, "茶言旗舰店")
    current.fake = made
    yield made
    current.fake = None


@pytest.fixture
def douyin_settings(gateway_server: tuple[_Current, str]) -> DouyinSettings:
    _, url = gateway_server
    return DouyinSettings(
        _env_file=None,  # type: ignore[call-arg]
        app_key=APP_KEY,
        app_secret=SecretStr(APP_SECRET),
        api_base=url,
        token_keys=[SecretStr(TOKEN_KEY)],
        timeout=1.0,
        max_attempts=3,
        retry_base=0.01,
        retry_cap=0.05,
        sync_interval=0,
        sync_settle=0,
        sync_overlap=120,
        page_size=100,
    )


@dataclass
class Douyin:
    """The module's pieces, built as its lifespan builds them, with a clock tests control."""

    settings: DouyinSettings
    sessionmaker: async_sessionmaker[AsyncSession]
    gateway: DouyinGateway
    tokens: TokenManager
    client: DouyinClient
    mirror: Mirror
    sync: DouyinSync
    clock: Clock
    sleeps: list[float]

    def another_process(self, redis: Redis | None) -> TokenManager:
        """A token manager as a second worker process would have it: its own cache."""
        cipher = TokenCipher([TOKEN_KEY])
        return TokenManager(
            self.sessionmaker,
            TokenApi(self.gateway),
            cipher,
            self.settings,
            redis=redis,
            clock=self.clock,
        )


def build(
    settings: DouyinSettings,
    engine: AsyncEngine,
    http: httpx.AsyncClient,
    clock: Clock,
    redis: Redis | None = None,
) -> Douyin:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    sessionmaker = create_sessionmaker(engine)
    gateway = DouyinGateway(http, settings, clock=clock, sleep=sleep)
    cipher = TokenCipher([key.get_secret_value() for key in settings.token_keys])
    tokens = TokenManager(
        sessionmaker, TokenApi(gateway), cipher, settings, redis=redis, clock=clock
    )
    client = DouyinClient(gateway, tokens)
    mirror = Mirror(sessionmaker, DatabaseStockBackend())
    sync = DouyinSync(client, mirror, sessionmaker, settings, clock=clock)
    return Douyin(settings, sessionmaker, gateway, tokens, client, mirror, sync, clock, sleeps)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def douyin(
    douyin_settings: DouyinSettings,
    engine: AsyncEngine,
    http: httpx.AsyncClient,
    clock: Clock,
    fake: FakeDouyin,
) -> Douyin:
    return build(douyin_settings, engine, http, clock)


@pytest.fixture
async def app(
    settings: Settings,
    engine: AsyncEngine,
    douyin_settings: DouyinSettings,
    fake: FakeDouyin,
) -> AsyncIterator[FastAPI]:
    """The whole service with the module configured (the core's `client` and `*_headers`
    fixtures use it); the fake keeps real time here, as the service does."""
    fake.clock = RealClock()
    made = create_app(settings)
    made.state.douyin_settings = douyin_settings
    async with made.router.lifespan_context(made):
        yield made


async def add_product(session: AsyncSession, sku: str, stock: int, price_cents: int = 100) -> int:
    """An active product without options (one variant, same sku); its variant's id."""
    product = Product(sku=sku, title=sku, price_cents=price_cents, currency="CNY", status="active")
    session.add(product)
    await session.flush()
    variant = ProductVariant(
        product_id=product.id,
        sku=sku,
        options={},
        option_key=option_key({}),
        title=DEFAULT_TITLE,
        price_cents=price_cents,
        currency="CNY",
        stock=stock,
    )
    session.add(variant)
    await session.flush()
    return variant.id
