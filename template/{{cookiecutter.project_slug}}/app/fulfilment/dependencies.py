from typing import Annotated

import httpx
from fastapi import Depends, Request

from app.core.config import Settings
from app.core.db import SessionDep
from app.core.redis import RedisClient
from app.fulfilment.service import FulfilmentService
from app.fulfilment.wechat import AccessTokens, ShippingUploader
from app.orders.dependencies import OrderServiceDep


def get_fulfilment_service(
    request: Request, session: SessionDep, orders: OrderServiceDep
) -> FulfilmentService:
    settings: Settings = request.app.state.settings
    return FulfilmentService(session, orders, wechat_shipping=settings.wechat_enabled)


FulfilmentServiceDep = Annotated[FulfilmentService, Depends(get_fulfilment_service)]


def create_shipping_uploader(
    settings: Settings, http: httpx.AsyncClient, redis: RedisClient | None
) -> ShippingUploader | None:
    """The reporter of parcels to WeChat, when the mini-program's app id and secret are set."""
    if not settings.wechat_enabled:
        return None
    assert settings.wechat_app_id is not None and settings.wechat_app_secret is not None
    tokens = AccessTokens(
        http,
        base_url=settings.wechat_api_base,
        app_id=settings.wechat_app_id,
        secret=settings.wechat_app_secret.get_secret_value(),
        redis=redis,
        timeout=settings.wechat_timeout,
    )
    return ShippingUploader(
        http,
        tokens,
        base_url=settings.wechat_api_base,
        mch_id=settings.wechatpay_mch_id,
        timeout=settings.wechat_timeout,
    )
