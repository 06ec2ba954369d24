"""Work in a forked process, beside the caller's own: on Linux with a spare CPU, the child sees
the caller's memory (a loaded contract) without copying it, and sends back only its result.

Meant for command-line runs. A fork copies only the calling thread: a lock another thread held
at that moment stays held in the child, so the child never flushes the standard streams and
leaves with `os._exit`, and callers that run threads of their own should not fork at all.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

__all__ = ["Forked", "can_fork", "cpus"]

T = TypeVar("T")


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether forking can pay off here: Linux, and more than one CPU to run on."""
    return sys.platform.startswith("linux") and cpus() > 1


class Forked(Generic[T]):
    """`work()` running in a forked process; `result()` waits for what it returned."""

    def __init__(self, process: BaseProcess, receiver: Connection) -> None:
        self._process = process
        self._receiver = receiver

    @classmethod
    def start(cls, work: Callable[[], T], *, daemon: bool = True) -> Forked[T]:
        """Fork and run `work()` in the child. A daemon (the default) is stopped with this
        process, and may not fork children of its own; `daemon=False` lets it, and leaves
        stopping it to the caller (`stop()`). Raises `OSError` when no process can be made."""
        context = multiprocessing.get_context("fork")
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()  # or the child would write what is buffered a second time
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_run, args=(work, sender), daemon=daemon)
        try:
            process.start()
        except OSError:
            receiver.close()
            raise
        finally:
            sender.close()
        return cls(process, receiver)

    def result(self) -> T | None:
        """What `work()` returned, or None if it raised or the process died: the caller then
        does the work itself, where any error surfaces as it would have."""
        try:
            result: T | None = self._receiver.recv()
        except EOFError:
            result = None
        self._receiver.close()
        self._process.join()
        return result

    def stop(self) -> None:
        """Stop the work if it still runs (SIGTERM) and wait for the process to end."""
        self._process.terminate()
        self._process.join()
        self._receiver.close()


def _run(work: Callable[[], object], sender: Connection) -> None:
    try:
        sender.send(work())
    except BaseException:
        sender.send(None)
    finally:
        sender.close()
        os._exit(0)
