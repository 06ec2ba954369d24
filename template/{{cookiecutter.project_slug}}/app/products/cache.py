"""An in-process cache for product reads, the hottest path of a shop.

Every product write in this process clears it. With several worker processes, a write made
by another worker shows here after at most `PRODUCT_CACHE_TTL` seconds.
"""

import time
from collections.abc import Hashable
from typing import Any

_MAX_ENTRIES = 4096


class ProductCache:
    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            self._entries.pop(key, None)
            return None
        return value

    def put(self, key: Hashable, value: Any) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (time.monotonic() + self._ttl, value)

    def clear(self) -> None:
        self._entries.clear()
