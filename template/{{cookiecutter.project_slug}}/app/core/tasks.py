"""Background loops that stop when they are asked to.

A loop's task is cancelled at shutdown, but a library awaited inside it may swallow the
cancellation: redis-py turns a command interrupted mid-flight into an error or a normal
return, and a database call interrupted at the wrong moment may do the same. A loop that
carries on then sleeps and works forever, and shutdown waits for it. Every loop checks
between rounds, before it waits.

`run_every` is the loop of the jobs that run a round, rest, and run again (the modules'
syncs, deliveries and samples); jobs that must run once per wall-clock period however many
processes run them use `app.core.periodic`.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.core.locks import try_lock
from app.core.redis import RedisClient

logger = logging.getLogger(__name__)


def stop_if_cancelled() -> None:
    """Raise the cancellation this task was asked for, if something below swallowed it."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def run_every(
    interval: float,
    work: Callable[[], Awaitable[object]],
    *,
    name: str,
    redis: RedisClient | None = None,
    lock: str | None = None,
) -> None:
    """Run `work()`, wait `interval` seconds, and again, until cancelled. With Redis and a
    `lock` name, one process at a time runs a round: the others skip it. A round that fails
    is logged, and the next runs as planned; one whose work answers True (more is waiting)
    is followed by the next at once."""
    lock_ms = max(int(interval * 1000), 1000)
    while True:
        more = False
        try:
            if redis is None or lock is None:
                more = await work() is True
            else:
                async with try_lock(redis, lock, lock_ms) as locked:
                    if locked:
                        more = await work() is True
        except Exception:
            logger.exception("%s failed; trying again in %s s", name, interval)
        stop_if_cancelled()
        if not more:
            await asyncio.sleep(interval)
