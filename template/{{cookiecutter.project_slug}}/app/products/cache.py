"""An in-process cache for product reads, the hottest path of a shop.

Every product write clears it: in this process at once, and in every other process and
instance through Redis (`app.products.invalidation`) when `REDIS_URL` is set. Without Redis,
a write made by another worker shows there after at most `PRODUCT_CACHE_TTL` seconds.

A read that started before a clear must not store what it read after it: `put` takes the
`generation` seen before the read, and drops the value if a clear came in between.
"""

import time
from collections.abc import Callable, Hashable
from typing import Any

_MAX_ENTRIES = 4096


class ProductCache:
    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._listeners: list[Callable[[], None]] = []
        self.generation = 0

    def get(self, key: Hashable) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            self._entries.pop(key, None)
            return None
        return value

    def put(self, key: Hashable, value: Any, *, generation: int | None = None) -> None:
        if self._ttl <= 0:
            return
        if generation is not None and generation != self.generation:
            return  # read before a write that has cleared the cache since
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (time.monotonic() + self._ttl, value)

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
