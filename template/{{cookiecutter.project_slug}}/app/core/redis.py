"""The optional Redis client: present only when `REDIS_URL` is set, with short timeouts so a
slow Redis degrades an answer instead of hanging it.

A Redis Cluster is named by a `redis-cluster://` (`rediss-cluster://` with TLS) URL, or by
`REDIS_CLUSTER=true` beside a `redis://` URL of any of its nodes; the client then learns the
others from it. Every script and pipeline here is written for a Cluster: the keys one
script touches share a hash tag (`stock:{42}`, `resv:{42}:...`), so they live in one slot.
"""

import asyncio
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.core.config import Settings

RedisStatus = Literal["ok", "down", "disabled"]
RedisClient: TypeAlias = Redis | RedisCluster

_CLUSTER_SCHEMES = {"redis-cluster": "redis", "rediss-cluster": "rediss"}
# Connections per process to a single Redis.
MAX_CONNECTIONS = 64
POOL_WAIT_SECONDS = 2.0
# Connections per process to each node of a Cluster. Its client cannot wait for a free one: past
# this it fails the command, so the bound is set above what one process takes in at once.
CLUSTER_MAX_CONNECTIONS = 1024


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """Where Redis is: a `redis://` or `rediss://` URL, and whether it is a Cluster."""

    url: str
    cluster: bool


class TimedRedis(Redis):
    """A client whose every command and pipeline answers within `timeout` seconds, bounded
    by `asyncio.timeout` around the call rather than by the socket timeout: redis-py bounds
    each socket write with `asyncio.wait_for`, which on Python 3.11 runs the write in a task
    of its own, a cost every command would pay. A command cut short by the timeout closes its
    connection, as a socket timeout does."""

    timeout: float = 0.5

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        async with asyncio.timeout(self.timeout):
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        pipe = TimedPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.timeout = self.timeout
        return pipe


class TimedPipeline(Pipeline):
    timeout: float = 0.5

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        async with asyncio.timeout(self.timeout):
            return await super().execute(raise_on_error)


def redis_target(settings: Settings) -> RedisTarget | None:
    if not settings.redis_url:
        return None
    scheme, _, rest = settings.redis_url.partition("://")
    if scheme in _CLUSTER_SCHEMES:
        return RedisTarget(f"{_CLUSTER_SCHEMES[scheme]}://{rest}", cluster=True)
    return RedisTarget(settings.redis_url, cluster=settings.redis_cluster)


def create_redis(settings: Settings) -> RedisClient | None:
    target = redis_target(settings)
    if target is None:
        return None
    options = {
        "socket_connect_timeout": settings.redis_timeout,
        "health_check_interval": 30,
        # One immediate retry replaces a connection that died with a Redis restart; the
        # client's default (three, with backoff up to seconds) would stall a request.
        "retry": Retry(NoBackoff(), 1),
        "decode_responses": False,
    }
    if target.cluster:
        return RedisCluster.from_url(
            target.url,
            max_connections=CLUSTER_MAX_CONNECTIONS,
            socket_timeout=settings.redis_timeout,
            **options,
        )
    # A rush beyond MAX_CONNECTIONS commands at once waits for a free connection (up to
    # POOL_WAIT_SECONDS) instead of failing: redis-py's default pool refuses the 101st at
    # once, which a flash sale reaches in its first millisecond.
    pool = BlockingConnectionPool.from_url(
        target.url,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT_SECONDS,
        socket_timeout=None,  # TimedRedis bounds each call instead
        **options,
    )
    client = TimedRedis.from_pool(pool)
    assert isinstance(client, TimedRedis)
    client.timeout = settings.redis_timeout
    return client


async def ping(client: RedisClient | None) -> RedisStatus:
    if client is None:
        return "disabled"
    try:
        await client.ping()
    except (RedisError, OSError):
        return "down"
    return "ok"
