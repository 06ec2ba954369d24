"""What the terminal gets: colour and progress only where a person is reading.

Colour follows the common conventions: `NO_COLOR` (any non-empty value, https://no-color.org)
turns it off, `FORCE_COLOR` turns it on for a pipe, `TERM=dumb` and anything that is not a
terminal get none. Progress is drawn only on a terminal, never into a file or a CI log.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["colour", "progress"]


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
    except ValueError:  # a closed stream
        return False


def colour(stream: TextIO) -> bool:
    """Whether to colour what goes to `stream`."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_terminal(stream)


@contextmanager
def progress(
    label: str, *, after: float = 1.0, stream: TextIO | None = None, interval: float = 0.25
) -> Iterator[None]:
    """Show `label` and the time spent on `stream` (stderr) if the work takes over `after` s.

    Nothing is drawn for quick work, or when the stream is not a terminal; the line is erased
    when the work ends, so the output that follows starts on a clean line.
    """
    out = stream if stream is not None else sys.stderr
    if not _is_terminal(out):
        yield
        return
    done = threading.Event()
    start = time.monotonic()

    def draw() -> None:
        if done.wait(after):
            return
        frames = "|/-\\"
        tick = 0
        while True:
            elapsed = time.monotonic() - start
            out.write(f"\r\033[K{frames[tick % 4]} {label} {elapsed:.1f} s")
            out.flush()
            tick += 1
            if done.wait(interval):
                out.write("\r\033[K")
                out.flush()
                return

    thread = threading.Thread(target=draw, name="shopgen-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
