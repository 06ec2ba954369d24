"""The periodic upkeep of orders and stock: expire unpaid orders, reconcile Redis counts with
the database, purge old idempotency keys.

Each step is idempotent, so every worker may run it; with Redis a lock keeps the workers
from doing the same round at once.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.locks import try_lock
from app.orders.service import OrderService
from app.stock.backend import StockBackend

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Round:
    expired: int
    reconciled: int
    purged_keys: int


async def run_round(
    sessionmaker: async_sessionmaker[AsyncSession],
    stock: StockBackend,
    *,
    payment_window: timedelta,
    idempotency_ttl: timedelta,
) -> Round:
    async with sessionmaker() as session:
        orders = OrderService(
            session, stock, payment_window=payment_window, idempotency_ttl=idempotency_ttl
        )
        expired = await orders.expire_due()
        purged = await orders.idempotency.purge_expired()
    try:
        reconciled = await stock.reconcile()
    except (RedisError, OSError) as error:
        logger.warning("stock reconciliation skipped: %s", error)
        reconciled = 0
    return Round(expired, reconciled, purged)


async def run_forever(
    sessionmaker: async_sessionmaker[AsyncSession],
    stock: StockBackend,
    redis: Redis | None,
    *,
    interval: float,
    payment_window: timedelta,
    idempotency_ttl: timedelta,
) -> None:
    lock_ms = max(int(interval * 1000), 1000)
    while True:
        try:
            if redis is None:
                await run_round(
                    sessionmaker,
                    stock,
                    payment_window=payment_window,
                    idempotency_ttl=idempotency_ttl,
                )
            else:
                async with try_lock(redis, "orders:upkeep", lock_ms) as locked:
                    if locked:
                        await run_round(
                            sessionmaker,
                            stock,
                            payment_window=payment_window,
                            idempotency_ttl=idempotency_ttl,
                        )
        except Exception:
            logger.exception("order upkeep failed; trying again in %s s", interval)
        await asyncio.sleep(interval)
