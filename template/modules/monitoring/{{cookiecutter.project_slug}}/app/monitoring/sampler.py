"""Reading the figures the metrics show: a handful of aggregate queries and a Redis ping,
every `sample_interval` seconds, each sample bounded by `sample_timeout`.

A failed database sample is a figure too (`shop_dependency_up{dependency="database"} 0`); the
business figures then keep their last values rather than drop to zero.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import utcnow
from app.core.redis import RedisClient, ping
from app.core.tasks import run_every
from app.monitoring.config import MonitoringSettings
from app.monitoring.metrics import Figures, MonitoringMetrics
from app.ops import sales

logger = logging.getLogger(__name__)


def month_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class Sampler:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: RedisClient | None,
        metrics: MonitoringMetrics,
        settings: MonitoringSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._metrics = metrics
        self._settings = settings
        self._clock = clock
        self.last: Figures | None = None

    async def sample(self) -> Figures:
        now = self._clock()
        redis = await ping(self._redis)
        redis_up = None if redis == "disabled" else redis == "ok"
        try:
            figures = await asyncio.wait_for(
                self._read(now, redis_up), self._settings.sample_timeout
            )
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            logger.warning("monitoring sample: the database did not answer: %s", error)
            figures = Figures(
                sampled_at=now,
                database_up=False,
                redis_up=redis_up,
                stock_backend_up=bool(redis_up),
            )
        self._metrics.record(figures)
        self.last = figures
        return figures

    async def _read(self, now: datetime, redis_up: bool | None) -> Figures:
        async with self._sessionmaker() as session:
            await session.execute(text("SELECT 1"))
            overdue, earliest = await sales.overdue_unpaid(
                session, now - timedelta(seconds=self._settings.expiry_grace)
            )
            backlog, oldest = await sales.webhook_backlog(session)
            paid = await sales.revenue(session, month_start(now))
            given_back = await sales.refunds(session, month_start(now))
            return Figures(
                sampled_at=now,
                database_up=True,
                redis_up=redis_up,
                # Without Redis the database is the stock backend.
                stock_backend_up=True if redis_up is None else redis_up,
                orders_by_status=await sales.order_counts(session),
                orders_created=await sales.orders_created(session),
                revenue=await sales.revenue(session),
                refunds=await sales.refunds(session),
                revenue_this_month={
                    currency: paid.get(currency, 0) - given_back.get(currency, 0)
                    for currency in sorted(set(paid) | set(given_back))
                },
                payments=await sales.payment_counts(session),
                overdue_unpaid=overdue,
                expiry_lag_seconds=_age(now, earliest),
                webhook_backlog=backlog,
                webhook_backlog_age_seconds=_age(now, oldest),
            )

    async def run_forever(self) -> None:
        await run_every(self._settings.sample_interval, self.sample, name="monitoring sample")


def _age(now: datetime, since: datetime | None) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0
