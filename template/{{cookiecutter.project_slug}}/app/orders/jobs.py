"""The periodic upkeep of orders and stock: expire unpaid orders, complete the ones nobody
confirmed, send parcels and refunds WeChat has not acknowledged again, reconcile Redis
counts with the database, purge old idempotency keys.

Each step is idempotent, so every worker may run it; with Redis one worker of all the
instances runs each round (`app.core.periodic`).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.db import utcnow
from app.core.metrics import Metrics
from app.core.periodic import run_periodically
from app.core.redis import RedisClient
from app.fulfilment.sync import sync_due
from app.fulfilment.wechat import ShippingUploader
from app.orders.service import OrderService
from app.payments.dependencies import utc_now
from app.payments.wechat import WechatPay, WechatPayClient
from app.refunds.service import RefundService
from app.stock.backend import StockBackend

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Upkeep:
    """What a round works with. The WeChat clients are None where WeChat is not configured."""

    sessionmaker: async_sessionmaker[AsyncSession]
    stock: StockBackend
    payment_window: timedelta
    idempotency_ttl: timedelta
    auto_complete_after: timedelta = timedelta(days=10)
    shipping: ShippingUploader | None = None
    shipping_attempts: int = 12
    wechat_pay: WechatPayClient | None = None
    refund_notify_url: str | None = None


def upkeep_for(
    settings: Settings,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    stock: StockBackend,
    http: httpx.AsyncClient,
    shipping: ShippingUploader | None,
) -> Upkeep:
    wechat_pay = None
    if settings.wechatpay_enabled:
        config = WechatPay.from_settings(settings)
        wechat_pay = WechatPayClient(http, config, utc_now, timeout=settings.wechatpay_timeout)
    return Upkeep(
        sessionmaker=sessionmaker,
        stock=stock,
        payment_window=timedelta(seconds=settings.order_payment_window),
        idempotency_ttl=timedelta(seconds=settings.idempotency_ttl),
        auto_complete_after=timedelta(days=settings.auto_complete_days),
        shipping=shipping,
        shipping_attempts=settings.shipping_sync_attempts,
        wechat_pay=wechat_pay,
        refund_notify_url=settings.wechatpay_refund_notify_url,
    )


@dataclass(frozen=True, slots=True)
class Round:
    expired: int
    reconciled: int
    purged_keys: int
    completed: int = 0
    parcels_synced: int = 0
    refunds_resubmitted: int = 0


async def run_round(upkeep: Upkeep) -> Round:
    async with upkeep.sessionmaker() as session:
        orders = OrderService(
            session,
            upkeep.stock,
            payment_window=upkeep.payment_window,
            idempotency_ttl=upkeep.idempotency_ttl,
        )
        expired = await orders.expire_due()
        completed = await orders.complete_due(utcnow() - upkeep.auto_complete_after)
        purged = await orders.idempotency.purge_expired()
        refunds = RefundService(
            session,
            orders,
            clock=utc_now,
            wechat=upkeep.wechat_pay,
            notify_url=upkeep.refund_notify_url,
        )
        resubmitted = await refunds.resubmit_due()
    synced = 0
    if upkeep.shipping is not None:
        synced = await sync_due(
            upkeep.sessionmaker, upkeep.shipping, max_attempts=upkeep.shipping_attempts
        )
    try:
        reconciled = await upkeep.stock.reconcile()
    except (RedisError, OSError) as error:
        logger.warning("stock reconciliation skipped: %s", error)
        reconciled = 0
    return Round(expired, reconciled, purged, completed, synced, resubmitted)


async def run_forever(
    upkeep: Upkeep,
    redis: RedisClient | None,
    *,
    interval: float,
    metrics: Metrics | None = None,
) -> None:
    async def work() -> Round:
        return await run_round(upkeep)

    rounds = metrics.upkeep_rounds if metrics is not None else None
    await run_periodically("orders:upkeep", interval, work, redis=redis, rounds=rounds)
