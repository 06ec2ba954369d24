from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings
from app.core.db import SessionDep
from app.orders.dependencies import OrderServiceDep
from app.payments.dependencies import ClockDep, wechat_pay_config
from app.payments.wechat import WechatPayClient
from app.refunds.service import RefundService


def get_refund_service(
    request: Request, session: SessionDep, orders: OrderServiceDep, clock: ClockDep
) -> RefundService:
    settings: Settings = request.app.state.settings
    config = wechat_pay_config(request.app)
    wechat = (
        WechatPayClient(request.app.state.http, config, clock, timeout=settings.wechatpay_timeout)
        if config is not None
        else None
    )
    return RefundService(
        session,
        orders,
        clock=clock,
        wechat=wechat,
        notify_url=settings.wechatpay_refund_notify_url,
        idempotency_ttl=timedelta(seconds=settings.idempotency_ttl),
    )


RefundServiceDep = Annotated[RefundService, Depends(get_refund_service)]
