"""Product caches of every process and instance cleared together, through Redis pub/sub.

A process that clears its cache after a write publishes its own id on `products:cache`;
every process subscribed there drops its cache when a message from another one arrives.
Clears that come faster than a message goes out are sent as one. On Redis Cluster a plain
`PUBLISH` reaches the subscribers of every node.

A message cannot be missed quietly: while the subscription is down (Redis restarting, a
network blip) writes elsewhere go unheard, so the cache is dropped each time the
subscription is made again. `PRODUCT_CACHE_TTL` bounds what is left: a publish that failed.
"""

import asyncio
import contextlib
import logging
import secrets

from redis.exceptions import RedisError

from app.core.redis import RedisClient
from app.core.tasks import stop_if_cancelled
from app.products.cache import ProductCache

CHANNEL = b"products:cache"
RETRY_SECONDS = 1.0
# How long one wait for a message lasts; the connection's health checks run in between.
POLL_SECONDS = 1.0

logger = logging.getLogger(__name__)


class CacheInvalidation:
    def __init__(self, cache: ProductCache, redis: RedisClient) -> None:
        self.cache = cache
        self.redis = redis
        self.sender = secrets.token_hex(8).encode()
        self.subscribed = asyncio.Event()
        self._pending = asyncio.Event()
        cache.on_clear(self._pending.set)

    async def run(self) -> None:
        """Publish this process's clears and listen for the others', until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._publish_forever())
            group.create_task(self._listen_forever())

    async def _publish_forever(self) -> None:
        while True:
            stop_if_cancelled()
            await self._pending.wait()
            self._pending.clear()
            try:
                await self.redis.publish(CHANNEL, self.sender)
            except (RedisError, OSError) as error:
                stop_if_cancelled()
                logger.warning("product cache clear not sent to other instances: %s", error)
                await asyncio.sleep(RETRY_SECONDS)
                self._pending.set()

    async def _listen_forever(self) -> None:
        while True:
            try:
                await self._listen()
            except (RedisError, OSError) as error:
                stop_if_cancelled()
                logger.warning("product cache invalidation unsubscribed: %s", error)
            self.subscribed.clear()
            await asyncio.sleep(RETRY_SECONDS)

    async def _listen(self) -> None:
        pubsub = self.redis.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            # Whatever was written while nobody listened is unknown: start afresh.
            self.cache.drop()
            self.subscribed.set()
            while True:
                stop_if_cancelled()
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=POLL_SECONDS
                )
                if message is not None and message["data"] != self.sender:
                    self.cache.drop()
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()
