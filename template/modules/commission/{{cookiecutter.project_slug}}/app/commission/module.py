"""The commission module as the app sees it (`app/modules.py` lists it)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.commission import models  # noqa: F401 - registers the tables
from app.commission.attribution import attributor, mark_changed
from app.commission.cache import ConfigCache
from app.commission.config import CommissionSettings, get_commission_settings
from app.commission.runtime import CommissionRuntime
from app.commission.settlement import Settler
from app.core.changes import ChangeListener, OrderPlacedListener
from app.core.modules import Module


def settings_of(app: FastAPI) -> CommissionSettings:
    """The module's settings; tests set `app.state.commission_settings` before the app starts."""
    settings: CommissionSettings = (
        getattr(app.state, "commission_settings", None) or get_commission_settings()
    )
    app.state.commission_settings = settings
    return settings


def change_listeners(app: FastAPI | None) -> Sequence[ChangeListener]:
    """Every order change marks the order's attribution, so a refund after settlement is
    adjusted (also in a process without the app, such as the order expiry run from cron)."""
    return (mark_changed,)


def order_placed_listeners(app: FastAPI) -> Sequence[OrderPlacedListener]:
    def cache() -> ConfigCache:
        runtime: CommissionRuntime = app.state.commission
        return runtime.cache

    return (attributor(cache),)


async def _stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = settings_of(app)
    cache = ConfigCache(app.state.sessionmaker, app.state.redis, ttl=settings.cache_ttl)
    settler = Settler(app.state.sessionmaker, cache, settings)
    app.state.commission = CommissionRuntime(settings, app.state.sessionmaker, cache, settler)
    listening = asyncio.create_task(cache.listen(), name="commission-config")
    settling = None
    if settings.settle_interval > 0:
        settling = asyncio.create_task(
            settler.run_forever(settings.settle_interval, app.state.redis),
            name="commission-settlement",
        )
    try:
        yield
    finally:
        await _stop(settling)
        await _stop(listening)


MODULE = Module(
    name="commission",
    lifespan=lifespan,
    change_listeners=change_listeners,
    order_placed_listeners=order_placed_listeners,
)
