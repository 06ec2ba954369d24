"""An in-process cache for product reads, the hottest path of a shop.

Every product write clears it: in this process at once, and in every other process and
instance through Redis (`app.products.invalidation`) when `REDIS_URL` is set. Without Redis,
a write made by another worker shows there after at most `PRODUCT_CACHE_TTL` seconds.

A read that started before a clear must not store what it read after it: `put` takes the
`generation` seen before the read, and drops the value if a clear came in between.

An entry is not left to lapse under load: late in its life (at a point drawn per entry
between `REFRESH_FROM` and `REFRESH_UNTIL` of the TTL, so entries filled together are not
refreshed together) one reader is told to read it again (`get`: it missed; `peek`: it may
answer with the entry first, as the public read cache does, and read again behind it),
while every other reader keeps getting the entry until the fresh value replaces it. A busy
product is then read again once per TTL instead of by every request that arrives while it
is being read, and the slowest answers of a busy shop stay near its typical ones.
"""

import random
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_MAX_ENTRIES = 4096
REFRESH_FROM, REFRESH_UNTIL = 0.75, 0.95


# Set while an answer is made to be kept by a cache in front of this one (the public read
# cache): it must come from the database, or it would outlive the TTL by this entry's age.
_reading_through: ContextVar[bool] = ContextVar("reading_through", default=False)


@contextmanager
def read_through() -> Iterator[None]:
    """Product reads in this block skip the cache (and still fill it)."""
    token = _reading_through.set(True)
    try:
        yield
    finally:
        _reading_through.reset(token)


class _Entry:
    __slots__ = ("expires", "refresh_at", "value")

    def __init__(self, expires: float, refresh_at: float, value: Any) -> None:
        self.expires = expires
        self.refresh_at = refresh_at
        self.value = value


class ProductCache:
    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self.clock = clock  # the time source; tests move it
        self._entries: dict[Hashable, _Entry] = {}
        self._listeners: list[Callable[[], None]] = []
        self.generation = 0

    def get(self, key: Hashable) -> Any | None:
        """The value kept for `key`, or None: none kept, lapsed, or this reader is the one
        to read it again (it then `put`s what it read)."""
        value, refresh = self.peek(key)
        return None if refresh else value

    def peek(self, key: Hashable) -> tuple[Any | None, bool]:
        """The value kept for `key` (None: none kept, or lapsed), and whether this caller is
        the one to read it again: it may answer with the value and refresh it after."""
        if _reading_through.get():
            return None, False
        entry = self._entries.get(key)
        if entry is None:
            return None, False
        now = self.clock()
        if now < entry.refresh_at:
            return entry.value, False
        if now >= entry.expires:
            self._entries.pop(key, None)
            return None, False
        entry.refresh_at = entry.expires  # one reader refreshes; the rest keep the value
        return entry.value, True

    def put(self, key: Hashable, value: Any, *, generation: int | None = None) -> None:
        if self._ttl <= 0:
            return
        if generation is not None and generation != self.generation:
            return  # read before a write that has cleared the cache since
        if key not in self._entries and len(self._entries) >= _MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))
        now = self.clock()
        refresh_at = now + self._ttl * random.uniform(REFRESH_FROM, REFRESH_UNTIL)  # noqa: S311
        self._entries[key] = _Entry(now + self._ttl, refresh_at, value)

    def clear(self) -> None:
        """Forget every entry after a write, here and in every instance that listens."""
        self.drop()
        for listener in self._listeners:
            listener()

    def drop(self) -> None:
        """Forget every entry here only: another process wrote, and has told the others."""
        self.generation += 1
        self._entries.clear()

    def on_clear(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)
