"""Expire unpaid orders past their deadline and return their stock, once:

    python -m app.orders.expire

Safe to run from cron beside the in-app job (ORDER_EXPIRY_INTERVAL), or twice at once:
every order's status change is conditional, so its stock comes back exactly once.
"""

import asyncio
import logging
from datetime import timedelta

from app.auth import models as auth_models  # noqa: F401 - registers the tables
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_sessionmaker
from app.core.redis import create_redis
from app.orders.jobs import Round, run_round
from app.stock.backend import create_stock_backend


async def expire_once(settings: Settings) -> Round:
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    redis = create_redis(settings)
    stock = create_stock_backend(
        redis,
        sessionmaker,
        reservation_ttl=settings.stock_reservation_ttl,
        down_policy=settings.redis_down_policy,
    )
    try:
        return await run_round(
            sessionmaker,
            stock,
            payment_window=timedelta(seconds=settings.order_payment_window),
            idempotency_ttl=timedelta(seconds=settings.idempotency_ttl),
        )
    finally:
        if redis is not None:
            await redis.aclose()
        await engine.dispose()


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    done = asyncio.run(expire_once(settings))
    print(
        f"expired {done.expired} orders, reconciled {done.reconciled} stock counts, "
        f"purged {done.purged_keys} idempotency keys"
    )


if __name__ == "__main__":
    main()
