"""Background loops that stop when they are asked to.

A loop's task is cancelled at shutdown, but a library awaited inside it may swallow the
cancellation: redis-py turns a command interrupted mid-flight into an error or a normal
return, and a database call interrupted at the wrong moment may do the same. A loop that
carries on then sleeps and works forever, and shutdown waits for it. Every loop checks
between rounds, before it waits.
"""

import asyncio


def stop_if_cancelled() -> None:
    """Raise the cancellation this task was asked for, if something below swallowed it."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
