"""An in-process cache for product reads, the hottest path of a shop.

Every product write clears it: in this process at once, and in every other process and
instance through Redis (`app.products.invalidation`) when `REDIS_URL` is set. Without Redis,
a write made by another worker shows there after at most `PRODUCT_CACHE_TTL` seconds.

A read that started before a clear must not store what it read after it: `put` takes the
`generation` seen before the read, and drops the value if a clear came in between.

An entry is not left to lapse under load: late in its life (at a point drawn per entry
between `REFRESH_FROM` and `REFRESH_UNTIL` of the TTL, so entries filled together are not
refreshed together) the next reader is told it missed and reads the database, while every
other reader keeps getting the entry until the fresh value replaces it. A busy product is then
read again by one request per TTL instead of by every request that arrives while it is
being read, and the slowest answers of a busy shop stay near its typical ones.
"""

import random
import time
from collections.abc import Callable, Hashable
from typing import Any

_MAX_ENTRIES = 4096
REFRESH_FROM, REFRESH_UNTIL = 0.75, 0.95


class _Entry:
    __slots__ = ("expires", "refresh_at", "value")

    def __init__(self, expires: float, refresh_at: float, value: Any) -> None:
        self.expires = expires
        self.refresh_at = refresh_at
        self.value = value


class ProductCache:
    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[Hashable, _Entry] = {}
        self._listeners: list[Callable[[], None]] = []
        self.generation = 0

    def get(self, key: Hashable) -> Any | None:
        """The value kept for `key`, or None: none kept, lapsed, or this reader is the one
        to read it again (it then `put`s what it read)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self._clock()
        if now < entry.refresh_at:
            return entry.value
        if now >= entry.expires:
            self._entries.pop(key, None)
            return None
        entry.refresh_at = entry.expires  # one reader refreshes; the rest keep the value
        return None

    def put(self, key: Hashable, value: Any, *, generation: int | None = None) -> None:
        if self._ttl <= 0:
            return
        if generation is not None and generation != self.generation:
            return  # read before a write that has cleared the cache since
        if key not in self._entries and len(self._entries) >= _MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))
        now = self._clock()
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
