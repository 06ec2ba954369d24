"""Rate limits on the operations worth abusing, per client IP and per account.

- auth (createToken, registerUser, refreshToken, createWechatSession): per IP
  `RATE_LIMIT_AUTH_PER_IP`; per account `RATE_LIMIT_AUTH_PER_ACCOUNT` (the email of a login or
  a registration, the refresh token's user, the WeChat openid), which is what caps password
  guessing and sign-up floods on one address.
- checkout (createOrder, createPayment): per IP `RATE_LIMIT_CHECKOUT_PER_IP`; per signed-in
  customer `RATE_LIMIT_CHECKOUT_PER_ACCOUNT`.

Counters live in Redis when `REDIS_URL` is set, so every worker shares them; in memory
otherwise. If Redis fails, this process's own memory counters stand in until it is back: a
limit that stops limiting would let a login flood through the moment Redis blinks. A refused
request is 429 (42901) with `Retry-After`, before any work is done.
"""

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.params import Depends as DependsMarker
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisClusterStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis

from app.core.config import Settings
from app.core.errors import RateLimited
from app.core.redis import RedisClient, RedisTarget, redis_target

logger = logging.getLogger(__name__)

Rule = Literal["auth", "checkout"]
Scope = Literal["ip", "account"]

OPERATION_RULES: Mapping[str, Rule] = {
    "createToken": "auth",
    "registerUser": "auth",
    "refreshToken": "auth",
    "createWechatSession": "auth",
    "createOrder": "checkout",
    "createPayment": "checkout",
}


class RateLimits:
    def __init__(self, settings: Settings, redis: RedisClient | None = None) -> None:
        """`redis` lends its connection pool: the app's client owns and closes it."""
        self.enabled = settings.rate_limits_enabled
        # The shared pool's connections carry no socket timeout (`app.core.redis.TimedRedis`):
        # each call is bounded here.
        self._timeout = settings.redis_timeout
        self._items: dict[tuple[Rule, Scope], Sequence[RateLimitItem]] = {
            ("auth", "ip"): parse_many(settings.rate_limit_auth_per_ip),
            ("auth", "account"): parse_many(settings.rate_limit_auth_per_account),
            ("checkout", "ip"): parse_many(settings.rate_limit_checkout_per_ip),
            ("checkout", "account"): parse_many(settings.rate_limit_checkout_per_account),
        }
        storage: Storage = MemoryStorage()
        target = redis_target(settings)
        if isinstance(redis, Redis) and target is not None:
            storage = RedisStorage(
                f"async+{target.url}",
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix="ratelimit",
                # The options are typed as scalars, but redis-py takes its pool through them.
                connection_pool=redis.connection_pool,  # type: ignore[arg-type]
            )
        elif redis is not None and target is not None:
            storage = _cluster_storage(target, settings.redis_timeout)
        self._shared = MovingWindowRateLimiter(storage)
        self._local = MovingWindowRateLimiter(MemoryStorage())

    async def hit(self, rule: Rule, scope: Scope, who: str) -> None:
        """Count one request of `who`; `RateLimited` when a window is full."""
        if not self.enabled:
            return
        key = hashlib.sha256(who.encode()).hexdigest()[:32]
        for item in self._items[rule, scope]:
            limiter = self._shared
            try:
                async with asyncio.timeout(self._timeout):
                    allowed = await limiter.hit(item, rule, scope, key)
            except (StorageError, TimeoutError) as error:
                logger.warning("rate limit storage unavailable (%s); counting locally", error)
                limiter = self._local
                allowed = await limiter.hit(item, rule, scope, key)
            if not allowed:
                wait = await _wait(limiter, self._timeout, item, rule, scope, key)
                raise RateLimited(headers={"Retry-After": str(wait)})


def _cluster_storage(target: RedisTarget, timeout: float) -> Storage:
    """A Cluster client of the storage's own (a Cluster has no single pool to lend). Each
    window is one key, so every script of the limiter stays in one slot."""
    url = urlsplit(target.url)
    return RedisClusterStorage(
        f"async+redis+cluster://{url.netloc}",
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix="ratelimit",
        ssl=url.scheme == "rediss",
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )


async def _wait(
    limiter: MovingWindowRateLimiter, timeout: float, item: RateLimitItem, *identifiers: str
) -> int:
    try:
        async with asyncio.timeout(timeout):
            stats = await limiter.get_window_stats(item, *identifiers)
    except (StorageError, TimeoutError):
        return item.get_expiry()
    return max(1, math.ceil(stats.reset_time - time.time()))


async def get_rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits


RateLimitsDep = Annotated[RateLimits, Depends(get_rate_limits)]


def client_ip(request: Request) -> str:
    """The peer address; behind a proxy, run uvicorn with `--proxy-headers` (the image does)
    so this is the client's."""
    return request.client.host if request.client else "unknown"


def per_ip(rule: Rule) -> DependsMarker:
    async def limit_ip(request: Request, limits: RateLimitsDep) -> None:
        await limits.hit(rule, "ip", client_ip(request))

    return DependsMarker(limit_ip)


def route_dependencies() -> dict[str, list[DependsMarker]]:
    """The per-IP limit of each limited operation, for `bind_operations`."""
    return {operation_id: [per_ip(rule)] for operation_id, rule in OPERATION_RULES.items()}
