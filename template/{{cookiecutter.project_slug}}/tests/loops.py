"""Background loops under test: work that swallows its cancellation, and stopping a loop."""

import asyncio
from collections.abc import Awaitable, Callable

DEADLINE = 10.0


def swallowing(started: asyncio.Event) -> Callable[[], Awaitable[None]]:
    """Work that says it started, then turns a cancellation into a normal return, as a
    library awaited inside a loop may."""

    async def work() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            return

    return work


async def assert_stops(*loops: "asyncio.Task[None]") -> None:
    """Cancel `loops`; each must end, cancelled, within the deadline."""
    for loop in loops:
        loop.cancel()
    done, _ = await asyncio.wait(loops, timeout=DEADLINE)
    assert done == set(loops) and all(loop.cancelled() for loop in loops)
