"""The fake ERP (one uvicorn server for the session, a fresh fake per test), the service
with the module configured, and a delivery worker whose clock the tests move."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Receive, Scope, Send

from app.core.config import Settings
from app.erp.config import ErpSettings
from app.erp.delivery import Deliverer
from app.erp.models import ErpOutbox
from app.main import create_app
from tests.erp.fake_erp import FakeErp, serve

SECRET = "erp-shared-secret-for-the-tests-0123456789"


class _Current:
    def __init__(self) -> None:
        self.fake: FakeErp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.fake is not None, "no fake ERP in this test"
        await self.fake.app(scope, receive, send)


@pytest.fixture(scope="session")
def erp_server() -> Iterator[tuple[_Current, str]]:
    current = _Current()
    with serve(current) as url:
        yield current, url


@pytest.fixture
def fake_erp(erp_server: tuple[_Current, str]) -> Iterator[FakeErp]:
    current, _ = erp_server
    current.fake = FakeErp(SECRET)
    yield current.fake
    current.fake = None


@pytest.fixture
def erp_settings(erp_server: tuple[_Current, str]) -> ErpSettings:
    _, url = erp_server
    return ErpSettings(
        _env_file=None,  # type: ignore[call-arg]
        base_url=f"{url}/sync",
        secret=SecretStr(SECRET),
        timeout=0.5,
        max_attempts=4,
        retry_base=1.0,
        retry_cap=8.0,
        interval=0,
        concurrency=4,
    )


@pytest.fixture
async def app(
    settings: Settings, engine: AsyncEngine, erp_settings: ErpSettings, fake_erp: FakeErp
) -> AsyncIterator[FastAPI]:
    """The whole service with the module configured (the core's `client` and `*_headers`
    fixtures use it). Delivery runs when a test says so, through `worker`."""
    made = create_app(settings)
    made.state.erp_settings = erp_settings
    async with made.router.lifespan_context(made):
        yield made


class Clock:
    """Real time, plus whatever the test moved it on by."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


class Worker:
    """A delivery worker on a clock the test moves past each backoff."""

    def __init__(self, app: FastAPI, http: httpx.AsyncClient, settings: ErpSettings) -> None:
        self.app = app
        self.clock = Clock()
        self.settings = settings
        self.deliverer = Deliverer(
            app.state.sessionmaker, http, settings, app.state.erp.metrics, clock=self.clock
        )

    async def waiting(self) -> int:
        async with self.app.state.sessionmaker() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(ErpOutbox)
                .where(ErpOutbox.status.in_(("pending", "delivering")))
            )
        return int(count or 0)

    async def drain(self, rounds: int = 60) -> int:
        """Deliver until nothing waits, moving the clock past every backoff; the rounds run."""
        for done in range(1, rounds + 1):
            await self.deliverer.run_round()
            if not await self.waiting():
                return done
            self.clock.advance(self.settings.retry_cap)
        raise AssertionError("the outbox did not drain")


@pytest.fixture
async def worker(app: FastAPI, erp_settings: ErpSettings) -> AsyncIterator[Worker]:
    async with httpx.AsyncClient() as http:
        yield Worker(app, http, erp_settings)
