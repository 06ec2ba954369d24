"""The in-app sweeper: retry Shopify deliveries whose background processing failed, and take
over claims a dead worker left behind.

Every worker may run it: a delivery is claimed by a conditional UPDATE, so two sweepers
never process the same one. With Redis one worker of all the instances sweeps each period
(`app.core.periodic`).
"""

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.metrics import Metrics
from app.core.periodic import run_periodically
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
    """Sweep once per `interval` seconds until cancelled. The first sweep waits for the first
    period's end: a delivery that just arrived is still being processed by its own task."""

    async def sweep() -> int:
        done = await service.sweep(
            sessionmaker, stock, product_cache=product_cache, metrics=metrics
        )
        if done:
            logger.info("Shopify sweep finished %d pending deliveries", done)
        return done

    rounds = metrics.upkeep_rounds if metrics is not None else None
    await run_periodically("webhooks:sweep", interval, sweep, redis=redis, rounds=rounds)
