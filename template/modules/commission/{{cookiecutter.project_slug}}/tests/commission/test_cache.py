"""The configuration cache against a real redis-server: a change made in one process reaches
another over pub/sub at once, snapshots are shared through Redis by version, and without
Redis a process notices changes when its TTL runs out."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from app.commission.cache import SNAPSHOT_KEY, ConfigCache
from app.core.config import Settings
from tests.commission.conftest import Shop
from tests.redis_server import fresh_redis_url

DEADLINE = 5.0


@pytest.fixture
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_url": fresh_redis_url(request)})


@pytest.fixture
async def other_process(app: FastAPI) -> AsyncIterator[ConfigCache]:
    """A cache as another worker has it: its own Redis connection and subscription."""
    redis = Redis.from_url(app.state.settings.redis_url)
    cache = ConfigCache(app.state.sessionmaker, redis, ttl=3600)
    ready = asyncio.Event()
    listening = asyncio.create_task(cache.listen(ready=ready))
    await asyncio.wait_for(ready.wait(), DEADLINE)
    yield cache
    listening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await listening
    await redis.aclose()


async def _until(condition: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not await condition():
        assert time.monotonic() < deadline, "not within the deadline"
        await asyncio.sleep(0.01)


async def test_a_new_rule_reaches_another_process_at_once(
    shop: Shop, other_process: ConfigCache
) -> None:
    before = await other_process.get()
    assert before.rules == ()
    rule = await shop.rule(0, 500)

    async def seen() -> bool:
        return any(r.id == rule["id"] for r in (await other_process.get()).rules)

    await _until(seen)
    assert other_process.announced == (await other_process.get()).version > before.version


async def test_processes_share_snapshots_through_redis(shop: Shop, app: FastAPI) -> None:
    await shop.channel("talent-a")
    mine = await app.state.commission.cache.get()
    redis = Redis.from_url(app.state.settings.redis_url)
    try:
        assert await redis.get(SNAPSHOT_KEY.format(version=mine.version)) is not None
        fresh = ConfigCache(app.state.sessionmaker, redis, ttl=3600)
        theirs = await fresh.get()
    finally:
        await redis.aclose()
    assert theirs == mine
    assert (fresh.redis_reads, fresh.database_reads) == (1, 0)


async def test_without_redis_a_change_is_seen_when_the_ttl_runs_out(
    shop: Shop, app: FastAPI
) -> None:
    now = [0.0]
    cache = ConfigCache(app.state.sessionmaker, None, ttl=10, clock=lambda: now[0])
    before = await cache.get()
    await shop.channel("talent-b")
    assert await cache.get() is before, "within the TTL the snapshot is trusted"
    now[0] = 11.0
    after = await cache.get()
    assert after.version > before.version and after.by_code("talent-b") is not None


async def test_a_lost_redis_falls_back_to_the_database(shop: Shop, app: FastAPI) -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        cache = ConfigCache(app.state.sessionmaker, dead, ttl=3600)
        await shop.channel("talent-c")
        snapshot = await cache.get()
        await cache.announce(snapshot.version + 1)  # logged, not raised
    finally:
        await dead.aclose()
    assert snapshot.by_code("talent-c") is not None and cache.database_reads == 1
