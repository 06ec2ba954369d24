"""A token-checked Redis lock: `SET lock:<name> <token> NX PX <ttl>`, released by a script
that deletes the key only while it still holds our token.

A plain `DEL` would be wrong: had our TTL lapsed and another process taken the lock, we would
delete theirs. The lock only keeps duplicate work down; correctness rests on conditional
database updates, since a Redis failover can grant a lock twice.
"""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.core.redis import RedisClient

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class RedisLock:
    def __init__(self, redis: RedisClient, name: str, ttl_ms: int) -> None:
        self.key = f"lock:{name}"
        self.ttl_ms = ttl_ms
        self._redis = redis
        self._token: str | None = None
        self._release = redis.register_script(_RELEASE)
        self._extend = redis.register_script(_EXTEND)

    async def acquire(self) -> bool:
        token = secrets.token_hex(16)
        if await self._redis.set(self.key, token, nx=True, px=self.ttl_ms):
            self._token = token
            return True
        return False

    async def extend(self) -> bool:
        if self._token is None:
            return False
        return bool(await self._extend(keys=[self.key], args=[self._token, self.ttl_ms]))

    async def release(self) -> bool:
        token, self._token = self._token, None
        if token is None:
            return False
        return bool(await self._release(keys=[self.key], args=[token]))


@asynccontextmanager
async def try_lock(redis: RedisClient, name: str, ttl_ms: int) -> AsyncIterator[bool]:
    """Hold `lock:<name>` for the block if nobody else does; yields whether we got it."""
    lock = RedisLock(redis, name, ttl_ms)
    acquired = await lock.acquire()
    try:
        yield acquired
    finally:
        if acquired:
            await lock.release()
