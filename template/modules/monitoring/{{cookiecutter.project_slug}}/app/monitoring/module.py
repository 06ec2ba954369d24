"""The monitoring module as the app sees it (`app/modules.py` lists it)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.core.modules import Module
from app.monitoring.config import MonitoringSettings, get_monitoring_settings
from app.monitoring.metrics import MonitoringMetrics
from app.monitoring.runtime import MonitoringRuntime
from app.monitoring.sampler import Sampler


def settings_of(app: FastAPI) -> MonitoringSettings:
    """The module's settings; tests set `app.state.monitoring_settings` before the app starts."""
    settings: MonitoringSettings = (
        getattr(app.state, "monitoring_settings", None) or get_monitoring_settings()
    )
    app.state.monitoring_settings = settings
    return settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = settings_of(app)
    metrics = MonitoringMetrics(app.state.metrics.registry, app.state.engine)
    sampler = Sampler(app.state.sessionmaker, app.state.redis, metrics, settings)
    app.state.monitoring = MonitoringRuntime(settings, metrics, sampler)
    job = None
    if settings.sample_interval > 0:
        job = asyncio.create_task(sampler.run_forever(), name="monitoring-sampler")
    try:
        yield
    finally:
        if job is not None:
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job


MODULE = Module(name="monitoring", lifespan=lifespan)
