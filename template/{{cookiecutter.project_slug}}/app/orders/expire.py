"""Run one round of order upkeep: expire unpaid orders past their deadline (their stock
returns once), complete shipped orders nobody confirmed, send parcels and refunds WeChat has
not acknowledged again, reconcile stock counts, purge old idempotency keys:

    python -m app.orders.expire

Safe to run from cron beside the in-app job (ORDER_EXPIRY_INTERVAL), or twice at once:
every change is conditional, so each order's stock comes back exactly once.
"""

import asyncio
import logging

import httpx

from app.auth import models as auth_models  # noqa: F401 - registers the tables
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_sessionmaker
from app.core.modules import change_listeners
from app.core.redis import create_redis
from app.fulfilment.dependencies import create_shipping_uploader
from app.modules import MODULES
from app.orders.jobs import Round, run_round, upkeep_for
from app.stock.backend import create_stock_backend


async def expire_once(settings: Settings) -> Round:
    engine = create_engine(
        settings.database_url, transaction_pooling=settings.database_transaction_pooling
    )
    sessionmaker = create_sessionmaker(engine, change_listeners(MODULES, None))
    redis = create_redis(settings)
    stock = create_stock_backend(
        redis,
        sessionmaker,
        reservation_ttl=settings.stock_reservation_ttl,
        down_policy=settings.redis_down_policy,
    )
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(settings.wechat_timeout)) as http:
            shipping = create_shipping_uploader(settings, http, redis)
            upkeep = upkeep_for(
                settings, sessionmaker=sessionmaker, stock=stock, http=http, shipping=shipping
            )
            return await run_round(upkeep)
    finally:
        if redis is not None:
            await redis.aclose()
        await engine.dispose()


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    done = asyncio.run(expire_once(settings))
    print(
        f"expired {done.expired} orders, completed {done.completed}, reported "
        f"{done.parcels_synced} parcels, resubmitted {done.refunds_resubmitted} refunds, "
        f"reconciled {done.reconciled} stock counts, purged {done.purged_keys} idempotency keys"
    )


if __name__ == "__main__":
    main()
