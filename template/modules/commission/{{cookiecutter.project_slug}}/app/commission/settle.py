"""Run one settlement round, from cron or by hand:

    python -m app.commission.settle

Safe beside the in-app job (COMMISSION_SETTLE_INTERVAL) and beside itself: each order is
claimed before it is settled, so it is settled once.
"""

import asyncio
import logging

from app.auth import models as auth_models  # noqa: F401 - registers the tables
from app.commission.cache import ConfigCache
from app.commission.config import CommissionSettings, get_commission_settings
from app.commission.settlement import RoundResult, Settler
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_sessionmaker
from app.core.modules import change_listeners
from app.core.redis import create_redis
from app.modules import MODULES


async def settle_once(settings: Settings, commission: CommissionSettings) -> RoundResult:
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine, change_listeners(MODULES, None))
    redis = create_redis(settings)
    try:
        cache = ConfigCache(sessionmaker, redis, ttl=commission.cache_ttl)
        return await Settler(sessionmaker, cache, commission).run_round()
    finally:
        if redis is not None:
            await redis.aclose()
        await engine.dispose()


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    done = asyncio.run(settle_once(settings, get_commission_settings()))
    print(
        f"settled {done.settled} orders, voided {done.voided}, "
        f"adjusted {done.adjusted} after refunds"
    )


if __name__ == "__main__":
    main()
