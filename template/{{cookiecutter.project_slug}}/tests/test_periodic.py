"""Periodic jobs run once per period however many processes run them (with Redis), and in
every process without it."""

import asyncio
import time

from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import Redis

from app.core.periodic import claim_period, run_periodically
from tests.loops import assert_stops, swallowing

INTERVAL = 0.2
ROUNDS = 5
DEADLINE = 10.0


async def test_one_claim_per_period(redis_client: Redis) -> None:
    now = 1_000_000.05
    assert await claim_period(redis_client, "job", INTERVAL, now)
    assert not await claim_period(redis_client, "job", INTERVAL, now + 0.1)
    assert await claim_period(redis_client, "job", INTERVAL, now + INTERVAL)
    assert await claim_period(redis_client, "other-job", INTERVAL, now)


async def _run_three(redis: Redis | None) -> tuple[list[int], float]:
    """Three loops, as three processes would run them, until ROUNDS rounds have run."""
    periods: list[int] = []
    registry = CollectorRegistry()
    counter = Counter("rounds", "rounds", ["job"], registry=registry)

    async def work() -> None:
        periods.append(int(time.time() // INTERVAL))

    loops = [
        asyncio.create_task(run_periodically("job", INTERVAL, work, redis=redis, rounds=counter))
        for _ in range(3)
    ]
    deadline = time.monotonic() + DEADLINE
    try:
        while len(set(periods)) < ROUNDS:
            assert time.monotonic() < deadline, f"only {len(periods)} rounds ran"
            await asyncio.sleep(0.02)
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
    counted = registry.get_sample_value("rounds_total", {"job": "job"})
    return periods, counted or 0.0


async def test_with_redis_each_period_runs_once(redis_client: Redis) -> None:
    periods, counted = await _run_three(redis_client)
    assert len(periods) == len(set(periods)), periods
    assert counted == len(periods)


async def test_without_redis_every_process_runs_every_period() -> None:
    periods, _ = await _run_three(None)
    # Each period's round ran in each of the three loops (the last may be cut short).
    assert max(periods.count(period) for period in set(periods)) == 3


async def test_a_loop_stops_even_when_its_work_swallows_the_cancellation() -> None:
    """A library may turn a cancellation into a normal return; shutdown must not wait on
    the loop forever because of it."""
    working = asyncio.Event()
    loop = asyncio.create_task(run_periodically("job", INTERVAL, swallowing(working), redis=None))
    await asyncio.wait_for(working.wait(), DEADLINE)
    await assert_stops(loop)
