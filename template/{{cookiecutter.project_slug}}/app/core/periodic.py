"""Periodic jobs that run once per period however many processes and instances run them.

Every process runs the loop and wakes at the same wall-clock boundaries (every `interval`
seconds since the epoch). With Redis, the processes race for that period's claim,
`SET lock:<job>:<period> NX`: one wins and runs the round, the others go back to sleep,
and the claim is left to expire, so no one can run the same period again once the winner is
done. Without Redis every process runs every round: the jobs are idempotent, only the work
is repeated.

A process that dies mid-round loses nothing: the next period is claimed afresh by whichever
process wakes first.
"""

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from prometheus_client import Counter
from redis.exceptions import RedisError

from app.core.redis import RedisClient
from app.core.tasks import stop_if_cancelled

logger = logging.getLogger(__name__)


async def claim_period(redis: RedisClient, job: str, interval: float, now: float) -> bool:
    """Whether this caller is the one to run `job` in the period that holds `now`."""
    period = int(now // interval)
    ttl_ms = max(int(interval * 2000), 1000)
    claimed = await redis.set(f"lock:{job}:{period}", secrets.token_hex(8), nx=True, px=ttl_ms)
    return bool(claimed)


def until_next_period(interval: float, now: float) -> float:
    return interval - (now % interval)


async def run_periodically(
    job: str,
    interval: float,
    work: Callable[[], Awaitable[object]],
    *,
    redis: RedisClient | None,
    rounds: Counter | None = None,
) -> None:
    """Run `work` once per `interval` seconds across every process, until cancelled. The
    first round waits for the first boundary: a process that just started has nothing due."""
    while True:
        stop_if_cancelled()
        await asyncio.sleep(until_next_period(interval, time.time()))
        now = time.time()
        try:
            if redis is not None and not await claim_period(redis, job, interval, now):
                continue
        except (RedisError, OSError) as error:
            # Without the claim nobody may run: several rounds at once would be worse than
            # one round missed, and the next period asks again.
            logger.warning("%s skipped a round: Redis unavailable (%s)", job, error)
            continue
        try:
            await work()
        except Exception:
            logger.exception("%s failed; trying again in %s s", job, interval)
            continue
        if rounds is not None:
            rounds.labels(job).inc()
