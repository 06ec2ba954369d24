"""The application factory: `uvicorn app.main:create_app --factory`."""

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.api.binding import bind_operations
from app.api.contract import install_contract
from app.api.handlers import HANDLERS
from app.api.operations import OPERATIONS, RAW_BODY
from app.auth.models import User
from app.auth.service import AuthService, EmailTaken
from app.core.body_limit import BodyLimit
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_sessionmaker
from app.core.errors import CatchUnhandled, install_error_handlers
from app.core.headers import EnvelopeCORSMiddleware, SecurityHeaders
from app.core.metrics import install_metrics
from app.core.modules import change_listeners, order_placed_listeners
from app.core.ratelimit import RateLimits, route_dependencies
from app.core.redis import create_redis
from app.core.security import Passwords, TokenCodec
from app.fulfilment.dependencies import create_shipping_uploader
from app.health.probes import install_probes
from app.modules import MODULES
from app.orders import jobs as order_jobs
from app.orders.batch import OrderBatches
from app.orders.early_refusal import install_early_refusal
from app.orders.pricing import HoldLimits
from app.orders.sold_out import SoldOutGate
from app.products.cache import ProductCache
from app.products.http_cache import PublicReadCache
from app.products.invalidation import CacheInvalidation
from app.stock.backend import StockBackend, create_stock_backend
{% if cookiecutter._shopgen.answers.shopify_sync %}
from app.webhooks import jobs as webhook_jobs
{% endif %}

logger = logging.getLogger("app")


async def ensure_first_superuser(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if not settings.first_superuser_email or settings.first_superuser_password is None:
        return
    email = settings.first_superuser_email.strip().lower()
    async with app.state.sessionmaker() as session:
        try:
            exists = await session.scalar(select(User.id).where(User.email == email))
        except SQLAlchemyError as error:
            raise RuntimeError(
                "the database is not ready; run `alembic upgrade heads` first"
            ) from error
        if exists is None:
            auth = AuthService(session, app.state.token_codec, app.state.passwords)
            password = settings.first_superuser_password.get_secret_value()
            try:
                await auth.register(email, password, "Administrator", role="admin")
            except EmailTaken:
                # Another worker starting at the same moment created it first.
                return
            logger.info("created the first superuser %s", email)


async def warm_stock(stock: StockBackend) -> None:
    """Load Redis counts from the database. A failure is not fatal: a missing count is
    loaded on first use, and orders fail closed while Redis is down."""
    try:
        warmed = await stock.warm()
    except (RedisError, OSError, SQLAlchemyError) as error:
        logger.warning("stock warm-up skipped: %s", error)
    else:
        if warmed:
            logger.info("warmed %d stock counts from the database", warmed)


def start_order_upkeep(app: FastAPI) -> asyncio.Task[None] | None:
    settings: Settings = app.state.settings
    if settings.order_expiry_interval <= 0:
        return None
    upkeep = order_jobs.upkeep_for(
        settings,
        sessionmaker=app.state.sessionmaker,
        stock=app.state.stock,
        http=app.state.http,
        shipping=app.state.shipping_uploader,
    )
    return asyncio.create_task(
        order_jobs.run_forever(
            upkeep,
            app.state.redis,
            interval=settings.order_expiry_interval,
            metrics=app.state.metrics,
        ),
        name="order-upkeep",
    )


def start_cache_invalidation(app: FastAPI) -> asyncio.Task[None] | None:
    """Clear the product caches of every instance together (only Redis reaches them all)."""
    if app.state.redis is None or app.state.settings.product_cache_ttl <= 0:
        return None
    invalidation = CacheInvalidation(app.state.product_cache, app.state.redis)
    return asyncio.create_task(invalidation.run(), name="product-cache-invalidation")
{% if cookiecutter._shopgen.answers.shopify_sync %}


def start_shopify_sweeper(app: FastAPI) -> asyncio.Task[None] | None:
    """Retry Shopify deliveries whose background processing failed."""
    settings: Settings = app.state.settings
    if not settings.shopify_enabled or settings.shopify_sweep_interval <= 0:
        return None
    return asyncio.create_task(
        webhook_jobs.run_forever(
            app.state.sessionmaker,
            app.state.stock,
            app.state.redis,
            interval=settings.shopify_sweep_interval,
            product_cache=app.state.product_cache,
            metrics=app.state.metrics,
        ),
        name="shopify-sweeper",
    )
{% endif %}


async def stop_job(job: asyncio.Task[None] | None) -> None:
    if job is None:
        return
    job.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await job


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(
        settings.database_url,
        transaction_pooling=settings.database_transaction_pooling,
        pool_size=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
    )
    app.state.engine = engine
    placed_listeners = order_placed_listeners(MODULES, app)
    app.state.sessionmaker = create_sessionmaker(
        engine, change_listeners(MODULES, app), placed_listeners
    )
    app.state.redis = create_redis(settings)
    app.state.rate_limits = RateLimits(settings, app.state.redis)
    app.state.http = httpx.AsyncClient(timeout=httpx.Timeout(settings.wechat_timeout))
    app.state.stock = create_stock_backend(
        app.state.redis,
        app.state.sessionmaker,
        reservation_ttl=settings.stock_reservation_ttl,
        down_policy=settings.redis_down_policy,
    )
    app.state.shipping_uploader = create_shipping_uploader(
        settings, app.state.http, app.state.redis
    )
    # Sold-out answers skip the database only where no order is written without Redis.
    app.state.sold_out = (
        SoldOutGate(app.state.redis, timedelta(seconds=settings.idempotency_ttl))
        if app.state.redis is not None and settings.redis_down_policy == "fail_closed"
        else None
    )
    app.state.order_batches = (
        OrderBatches(
            app.state.sessionmaker,
            payment_window=timedelta(seconds=settings.order_payment_window),
            idempotency_ttl=timedelta(seconds=settings.idempotency_ttl),
            hold_limits=HoldLimits(
                settings.max_pending_orders, settings.max_held_units_per_product
            ),
            product_cache=app.state.product_cache,
            limit=settings.order_batch_limit,
        )
        if engine.dialect.name == "postgresql"
        and not placed_listeners
        and settings.order_batch_limit > 1
        else None
    )
    upkeep: asyncio.Task[None] | None = None
    invalidation: asyncio.Task[None] | None = None
{% if cookiecutter._shopgen.answers.shopify_sync %}
    sweeper: asyncio.Task[None] | None = None
{% endif %}
    try:
        await ensure_first_superuser(app)
        await warm_stock(app.state.stock)
        invalidation = start_cache_invalidation(app)
        upkeep = start_order_upkeep(app)
{% if cookiecutter._shopgen.answers.shopify_sync %}
        sweeper = start_shopify_sweeper(app)
{% endif %}
        async with AsyncExitStack() as modules:
            for module in MODULES:
                await modules.enter_async_context(module.lifespan(app))
            settle_startup_objects()
            yield
    finally:
        gc.unfreeze()
{% if cookiecutter._shopgen.answers.shopify_sync %}
        await stop_job(sweeper)
{% endif %}
        await stop_job(upkeep)
        await stop_job(invalidation)
        await app.state.http.aclose()
        if app.state.redis is not None:
            await app.state.redis.aclose()
        await engine.dispose()


def settle_startup_objects() -> None:
    """Leave what startup built (modules, routes, models, the contract) out of the garbage
    collector's rounds: it lives as long as the process, and each full round would walk all
    of it again, stalling every request in flight (about 100 ms a round under load, several
    rounds a minute). Requests' own objects are collected as before."""
    gc.collect()
    gc.freeze()


def native_telemetry(environ: Mapping[str, str]) -> dict[str, Any]:
    """FastAPI's own OpenTelemetry instrumentation where OpenTelemetry is configured through
    the environment (any `OTEL_*` variable); otherwise it is switched off, rather than asked
    on every request whether a provider has turned up (/metrics serves Prometheus either way).
    Versions of FastAPI without it keep the option as an unused extra."""
    if any(name.startswith(("OTEL_", "FASTAPI_OTEL_")) for name in environ):
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level)
    app = FastAPI(
        title=settings.project_name,
        version=settings.version,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        **native_telemetry(os.environ),
    )
    app.state.settings = settings
    app.state.token_codec = TokenCodec(settings)
    app.state.passwords = Passwords(settings)
    app.state.product_cache = ProductCache(settings.product_cache_ttl)
    install_error_handlers(app)
    install_contract(app, docs=settings.docs_served)
    install_probes(app)
    install_early_refusal(app, OPERATIONS, HANDLERS, app.state.token_codec)
    app.add_middleware(
        PublicReadCache,
        cache=app.state.product_cache,
        operations=OPERATIONS,
        codec=app.state.token_codec,
    )
    install_metrics(app, settings)
    bind_operations(app.router, OPERATIONS, HANDLERS, route_dependencies(), raw_body=RAW_BODY)
    if settings.cors_origins:
        app.add_middleware(
            EnvelopeCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    # The last added runs first: the body cap holds before anything reads the body, and
    # every answer, a 500 or a refused body included, gets the security headers.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(CatchUnhandled)
    app.add_middleware(SecurityHeaders, hsts=settings.environment == "production")
    return app
