"""Handlers of the payment operations, and WeChat Pay's notification callback."""

from __future__ import annotations

import logging
from typing import Protocol

from fastapi import BackgroundTasks, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import CurrentUser
from app.core.envelope import Envelope, ok
from app.core.errors import NotImplementedYet
from app.core.ratelimit import RateLimitsDep
from app.orders.service import OrderService
from app.payments import contract_fields
from app.payments.dependencies import (
    ClockDep,
    PaymentServiceDep,
    mock_secret,
    wechat_pay_config,
)
from app.payments.models import Payment
from app.payments.service import (
    PaymentService,
    mock_notification,
    open_mock_notification,
)
from app.payments.wechat import Clock, NotificationRejected

logger = logging.getLogger(__name__)


def _public(payment: Payment, wechat_params: dict[str, str] | None) -> ops.CreatePaymentData:
    return ops.CreatePaymentData.model_validate(
        {
            "id": payment.id,
            "order_id": payment.order_id,
            "channel": payment.channel,
            "out_trade_no": payment.out_trade_no,
            "status": payment.status,
            "amount_cents": payment.amount_cents,
            "currency": payment.currency,
            "transaction_id": payment.transaction_id,
            "paid_at": payment.paid_at,
            "created_at": payment.created_at,
            "wechat_params": wechat_params,
            **contract_fields.row_values(payment),
        }
    )


async def create_payment(
    body: ops.CreatePaymentBody,
    user: CurrentUser,
    payments: PaymentServiceDep,
    background: BackgroundTasks,
    request: Request,
    clock: ClockDep,
    limits: RateLimitsDep,
) -> Envelope[ops.CreatePaymentData]:
    await limits.hit("checkout", "account", f"user:{user.id}")
    opened = await payments.open(user, body.order_id, body.channel.root, body.model_dump())
    if opened.payment.channel == "mock" and opened.new:
        background.add_task(deliver_mock_notification, request.app, opened.payment, clock)
    return ok(_public(opened.payment, opened.wechat_params))


async def get_payment(
    params: ops.GetPaymentParamsDep, user: CurrentUser, payments: PaymentServiceDep
) -> Envelope[ops.GetPaymentData]:
    payment = await payments.get(user, params.payment_id)
    return ok(_public(payment, payments.request_payment(payment)))


def wechat_failure(rejected: NotificationRejected, request: Request) -> Response:
    """WeChat Pay's failure answer to a notification; it retries the notification."""
    logger.warning(
        "WeChat Pay notification rejected, nothing changed (%s): %s [serial %s, from %s]",
        rejected.status_code,
        rejected.message,
        request.headers.get("Wechatpay-Serial"),
        request.client.host if request.client else "?",
    )
    return JSONResponse(
        {"code": "FAIL", "message": rejected.message}, status_code=rejected.status_code
    )


class SignedHeaders(Protocol):
    """The parameters of a WeChat Pay notification operation (payments or refunds)."""

    @property
    def wechatpay_timestamp(self) -> str | None: ...
    @property
    def wechatpay_nonce(self) -> str | None: ...
    @property
    def wechatpay_signature(self) -> str | None: ...
    @property
    def wechatpay_serial(self) -> str | None: ...
    @property
    def wechatpay_signature_type(self) -> str | None: ...


def signed_headers(params: SignedHeaders) -> dict[str, str]:
    """The `Wechatpay-*` headers a notification arrived with, the missing ones left out."""
    found = {
        "Wechatpay-Timestamp": params.wechatpay_timestamp,
        "Wechatpay-Nonce": params.wechatpay_nonce,
        "Wechatpay-Signature": params.wechatpay_signature,
        "Wechatpay-Serial": params.wechatpay_serial,
        "Wechatpay-Signature-Type": params.wechatpay_signature_type,
    }
    return {name: value for name, value in found.items() if value}


async def receive_wechat_pay_notification(
    params: ops.ReceiveWechatPayNotificationParamsDep,
    request: Request,
    payments: PaymentServiceDep,
    clock: ClockDep,
) -> Response:
    """Trust first (signature and freshness over the raw bytes), then decrypt, then settle.
    Success is an empty 204; failures use WeChat Pay's `{"code": "FAIL", ...}` shape.

    The headers are optional at the route, so a missing one is this handler's 401."""
    config = wechat_pay_config(request.app)
    if config is None:
        raise NotImplementedYet("WeChat Pay is not configured on this server")
    body = await request.body()
    try:
        transaction = config.open_transaction(signed_headers(params), body, clock())
        outcome = await payments.settle(transaction, "wechat")
    except NotificationRejected as rejected:
        return wechat_failure(rejected, request)
    except SQLAlchemyError:
        logger.exception("WeChat Pay notification could not be stored")
        return wechat_failure(NotificationRejected(500, "the payment could not be stored"), request)
    logger.info("WeChat Pay notification for %s: %s", transaction.out_trade_no, outcome)
    return Response(status_code=204)


async def deliver_mock_notification(app: FastAPI, payment: Payment, clock: Clock) -> None:
    """The mock channel's "payment succeeded": signed like a real notification and settled
    through the same `PaymentService.settle` a verified WeChat Pay notification reaches."""
    secret = mock_secret(app)
    body, signature = mock_notification(secret, payment, clock())
    async with app.state.sessionmaker() as session:
        orders = OrderService(session, app.state.stock)
        payments = PaymentService(
            session,
            orders,
            clock=clock,
            wechat=None,
            mock_enabled=True,
            redis=app.state.redis,
            metrics=app.state.metrics,
        )
        try:
            await payments.settle(open_mock_notification(secret, body, signature), "mock")
        except NotificationRejected as rejected:
            logger.warning("mock notification rejected: %s", rejected.message)


HANDLERS: dict[str, Handler] = {
    "createPayment": create_payment,
    "getPayment": get_payment,
    "receiveWechatPayNotification": receive_wechat_pay_notification,
}
