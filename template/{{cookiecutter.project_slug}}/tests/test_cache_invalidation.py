"""Product caches of several instances cleared together through Redis, and never refilled
with what was read before a clear."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from app.products.cache import ProductCache
from app.products.invalidation import CacheInvalidation

DEADLINE = 5.0


async def _until(condition: Callable[[], bool]) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < DEADLINE, "the caches did not agree in time"
        await asyncio.sleep(0.005)
    return time.monotonic() - started


@pytest.fixture
async def instances(redis_client: Redis) -> AsyncIterator[list[ProductCache]]:
    """Three caches as three instances hold them, each with its own invalidation task."""
    caches = [ProductCache(ttl=60) for _ in range(3)]
    links = [CacheInvalidation(cache, redis_client) for cache in caches]
    tasks = [asyncio.create_task(link.run()) for link in links]
    await asyncio.wait_for(asyncio.gather(*(link.subscribed.wait() for link in links)), 5)
    yield caches
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_clear_in_one_instance_clears_every_other(instances: list[ProductCache]) -> None:
    writer, *others = instances
    for cache in instances:
        cache.put("product:1", "old price")
    writer.clear()
    assert writer.get("product:1") is None
    took = await _until(lambda: all(cache.get("product:1") is None for cache in others))
    assert took < 1.0
    # and the other way round: every instance is a writer.
    writer.put("product:1", "new price")
    others[0].clear()
    await _until(lambda: writer.get("product:1") is None)


async def test_a_lost_subscription_drops_the_cache_when_it_comes_back(
    instances: list[ProductCache], redis_client: Redis
) -> None:
    """Writes made while an instance was not listening are unknown to it: forget everything."""
    for cache in instances:
        cache.put("product:1", "old price")
    await redis_client.client_kill_filter(_type="pubsub")
    await _until(lambda: all(cache.get("product:1") is None for cache in instances))


def test_a_read_from_before_a_clear_is_not_kept() -> None:
    cache = ProductCache(ttl=60)
    generation = cache.generation
    cache.drop()  # another instance wrote while this read was in flight
    cache.put("product:1", "old price", generation=generation)
    assert cache.get("product:1") is None
    cache.put("product:1", "new price", generation=cache.generation)
    assert cache.get("product:1") == "new price"
