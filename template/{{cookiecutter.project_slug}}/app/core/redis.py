"""The optional Redis client: present only when `REDIS_URL` is set, with short timeouts so a
slow Redis degrades an answer instead of hanging it."""

from typing import Literal

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.core.config import Settings

RedisStatus = Literal["ok", "down", "disabled"]


def create_redis(settings: Settings) -> Redis | None:
    if not settings.redis_url:
        return None
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        health_check_interval=30,
        # One immediate retry replaces a connection that died with a Redis restart; the
        # client's default (three, with backoff up to seconds) would stall a request.
        retry=Retry(NoBackoff(), 1),
        decode_responses=False,
    )


async def ping(client: Redis | None) -> RedisStatus:
    if client is None:
        return "disabled"
    try:
        await client.ping()
    except (RedisError, OSError):
        return "down"
    return "ok"
