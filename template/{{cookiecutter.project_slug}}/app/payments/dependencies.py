import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from app.auth.dependencies import get_settings
from app.core.config import Settings
from app.core.db import SessionDep
from app.orders.dependencies import OrderServiceDep
from app.payments.service import PaymentService
from app.payments.wechat import Clock, WechatPay, WechatPayClient


def utc_now() -> datetime:
    return datetime.now(UTC)


async def get_clock() -> Clock:
    """The clock notifications are judged by; tests override it to step through time."""
    return utc_now


ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]


def wechat_pay_config(app: FastAPI) -> WechatPay | None:
    """The WeChat Pay keys, loaded on first use and kept for the app's life."""
    settings: Settings = app.state.settings
    if not settings.wechatpay_enabled:
        return None
    config: WechatPay | None = getattr(app.state, "wechat_pay", None)
    if config is None:
        config = WechatPay.from_settings(settings)
        app.state.wechat_pay = config
    return config


def mock_secret(app: FastAPI) -> bytes:
    """PAYMENT_MOCK_SECRET, or a random one for this process (mock notifications never
    leave it)."""
    settings: Settings = app.state.settings
    if settings.payment_mock_secret is not None:
        return settings.payment_mock_secret.get_secret_value().encode()
    secret: bytes | None = getattr(app.state, "mock_payment_secret", None)
    if secret is None:
        secret = secrets.token_bytes(32)
        app.state.mock_payment_secret = secret
    return secret


async def get_payment_service(
    request: Request,
    session: SessionDep,
    orders: OrderServiceDep,
    clock: ClockDep,
    settings: Annotated[Settings, Depends(get_settings)],
) -> PaymentService:
    config = wechat_pay_config(request.app)
    wechat = (
        WechatPayClient(request.app.state.http, config, clock, timeout=settings.wechatpay_timeout)
        if config is not None
        else None
    )
    return PaymentService(
        session,
        orders,
        clock=clock,
        wechat=wechat,
        mock_enabled=settings.mock_payments_enabled,
        redis=request.app.state.redis,
        metrics=request.app.state.metrics,
    )


PaymentServiceDep = Annotated[PaymentService, Depends(get_payment_service)]
