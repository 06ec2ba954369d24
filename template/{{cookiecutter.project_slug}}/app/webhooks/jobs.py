"""The in-app sweeper: retry Shopify deliveries whose background processing failed, and take
over claims a dead worker left behind.

Every worker may run it: a delivery is claimed by a conditional UPDATE, so two sweepers
never process the same one. With Redis a lock keeps them from scanning at once.
"""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.locks import try_lock
from app.core.metrics import Metrics
from app.core.redis import RedisClient
from app.products.cache import ProductCache
from app.stock.backend import StockBackend
from app.webhooks import service

logger = logging.getLogger(__name__)


async def run_forever(
    sessionmaker: async_sessionmaker[AsyncSession],
    stock: StockBackend,
    redis: RedisClient | None,
    *,
    interval: float,
    product_cache: ProductCache | None = None,
    metrics: Metrics | None = None,
) -> None:
    """Sweep every `interval` seconds until cancelled. The first sweep waits one interval:
    a delivery that just arrived is still being processed by its own background task."""
    lock_ms = max(int(interval * 1000), 1000)
    while True:
        await asyncio.sleep(interval)
        try:
            if redis is None:
                done = await service.sweep(
                    sessionmaker, stock, product_cache=product_cache, metrics=metrics
                )
            else:
                async with try_lock(redis, "webhooks:sweep", lock_ms) as locked:
                    if not locked:
                        continue
                    done = await service.sweep(
                        sessionmaker, stock, product_cache=product_cache, metrics=metrics
                    )
        except Exception:
            logger.exception("Shopify sweep failed; trying again in %s s", interval)
            continue
        if done:
            logger.info("Shopify sweep finished %d pending deliveries", done)
