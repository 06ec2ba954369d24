"""Jobs that run a round, rest and run again: one process at a time with a lock, a failed
round does not end the loop, a round with more to do is followed at once, and cancelling
stops it."""

import asyncio
import time
from collections.abc import Callable

from redis.asyncio import Redis

from app.core.tasks import run_every
from tests.loops import DEADLINE, assert_stops, swallowing

INTERVAL = 0.05


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, "the loop did not get there in time"
        await asyncio.sleep(0.01)


async def test_a_failed_round_is_followed_by_the_next() -> None:
    rounds: list[float] = []

    async def work() -> None:
        rounds.append(time.monotonic())
        if len(rounds) == 1:
            raise RuntimeError("the first round fails")

    loop = asyncio.create_task(run_every(INTERVAL, work, name="job"))
    await _until(lambda: len(rounds) >= 3)
    await assert_stops(loop)
    # Rested between rounds: nothing asked for the next at once.
    assert all(b - a >= INTERVAL * 0.9 for a, b in zip(rounds, rounds[1:], strict=False))


async def test_a_round_with_more_to_do_is_followed_at_once() -> None:
    rounds: list[float] = []

    async def work() -> bool:
        rounds.append(time.monotonic())
        return len(rounds) < 4  # three full batches, then the rest

    loop = asyncio.create_task(run_every(60, work, name="job"))
    await _until(lambda: len(rounds) == 4)
    await assert_stops(loop)
    assert rounds[-1] - rounds[0] < 5


async def test_with_a_lock_one_loop_at_a_time_runs_a_round(redis_client: Redis) -> None:
    running = 0
    most = 0
    rounds = 0

    async def work() -> None:
        nonlocal running, most, rounds
        running += 1
        most = max(most, running)
        await asyncio.sleep(INTERVAL * 2)
        running -= 1
        rounds += 1

    loops = [
        asyncio.create_task(run_every(INTERVAL, work, name="job", redis=redis_client, lock="job"))
        for _ in range(3)
    ]
    await _until(lambda: rounds >= 4)
    await assert_stops(*loops)
    assert most == 1


async def test_a_loop_stops_even_when_its_work_swallows_the_cancellation() -> None:
    working = asyncio.Event()
    loop = asyncio.create_task(run_every(INTERVAL, swallowing(working), name="job"))
    await asyncio.wait_for(working.wait(), DEADLINE)
    await assert_stops(loop)
