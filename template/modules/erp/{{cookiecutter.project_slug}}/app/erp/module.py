"""The erp module as the app sees it (`app/modules.py` lists it)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.core.changes import ChangeListener
from app.core.modules import Module
from app.erp import models, outbox  # noqa: F401 - models registers the tables
from app.erp.config import ErpSettings, get_erp_settings
from app.erp.delivery import Deliverer
from app.erp.metrics import ErpMetrics
from app.erp.runtime import ErpRuntime


def settings_of(app: FastAPI) -> ErpSettings:
    """The module's settings; tests set `app.state.erp_settings` before the app starts."""
    settings: ErpSettings = getattr(app.state, "erp_settings", None) or get_erp_settings()
    app.state.erp_settings = settings
    return settings


def change_listeners(app: FastAPI | None) -> Sequence[ChangeListener]:
    """Record changes in the outbox only while there is somewhere to deliver them (also in a
    process without the app, such as the order expiry run from cron)."""
    settings = settings_of(app) if app is not None else get_erp_settings()
    return (outbox.write,) if settings.delivering else ()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = settings_of(app)
    metrics = ErpMetrics(app.state.metrics.registry)
    deliverer = None
    if settings.delivering:
        deliverer = Deliverer(app.state.sessionmaker, app.state.http, settings, metrics)
    app.state.erp = ErpRuntime(settings, app.state.sessionmaker, metrics, deliverer)
    job = None
    if deliverer is not None and settings.interval > 0:
        job = asyncio.create_task(deliverer.run_forever(settings.interval), name="erp-delivery")
    try:
        yield
    finally:
        if job is not None:
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job


MODULE = Module(name="erp", lifespan=lifespan, change_listeners=change_listeners)
