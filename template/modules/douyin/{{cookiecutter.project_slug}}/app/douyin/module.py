"""The douyin module as the app sees it (`app/modules.py` lists it)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.core.modules import Module
from app.douyin import models  # noqa: F401 - registers the tables
from app.douyin.client import DouyinClient, TokenApi
from app.douyin.config import DouyinSettings, get_douyin_settings
from app.douyin.crypto import TokenCipher
from app.douyin.gateway import DouyinGateway
from app.douyin.mirror import Mirror
from app.douyin.runtime import DouyinRuntime
from app.douyin.sync import DouyinSync
from app.douyin.tokens import TokenManager


def build_runtime(app: FastAPI, settings: DouyinSettings) -> DouyinRuntime:
    sessionmaker = app.state.sessionmaker
    gateway = DouyinGateway(app.state.http, settings)
    cipher = TokenCipher([key.get_secret_value() for key in settings.token_keys])
    tokens = TokenManager(sessionmaker, TokenApi(gateway), cipher, settings, redis=app.state.redis)
    client = DouyinClient(gateway, tokens)
    mirror = Mirror(sessionmaker, app.state.stock, app.state.product_cache)
    sync = DouyinSync(client, mirror, sessionmaker, settings)
    return DouyinRuntime(settings, sessionmaker, client, tokens, mirror, sync)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Set up the client, tokens and sync when configured, and the periodic job. Tests set
    `app.state.douyin_settings` before the app starts."""
    settings: DouyinSettings = getattr(app.state, "douyin_settings", None) or get_douyin_settings()
    app.state.douyin_settings = settings
    runtime = build_runtime(app, settings) if settings.enabled else None
    app.state.douyin = runtime
    job = None
    if runtime is not None and settings.sync_interval > 0:
        job = asyncio.create_task(
            runtime.run_forever(app.state.redis, settings.sync_interval), name="douyin-sync"
        )
    try:
        yield
    finally:
        if job is not None:
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job
        if runtime is not None:
            await runtime.close()


MODULE = Module(name="douyin", lifespan=lifespan)
