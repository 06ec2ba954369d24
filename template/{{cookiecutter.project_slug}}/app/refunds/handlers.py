"""Handlers of the refund operations, and WeChat Pay's refund notification callback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import CurrentAdmin
from app.core.envelope import Envelope, ok
from app.core.errors import NotImplementedYet
from app.orders.dependencies import CurrentViewer, IdempotencyKey
from app.orders.handlers import REPLAYED_HEADER
from app.orders.idempotency import fingerprint
from app.payments.dependencies import ClockDep, wechat_pay_config
from app.payments.handlers import signed_headers, wechat_failure
from app.payments.wechat import NotificationRejected
from app.refunds.dependencies import RefundServiceDep
from app.refunds.models import Refund

logger = logging.getLogger(__name__)


def _data(refund: Refund) -> dict[str, Any]:
    return ops.CreateRefundData.model_validate(refund, from_attributes=True).model_dump(mode="json")


async def create_refund(
    request: Request,
    params: ops.CreateRefundParamsDep,
    body: ops.CreateRefundBody,
    key: IdempotencyKey,
    admin: CurrentAdmin,
    refunds: RefundServiceDep,
) -> Response:
    answer = await refunds.create(
        admin,
        params.order_id,
        body.model_dump(exclude_unset=True),
        idempotency_key=key,
        fingerprint=fingerprint("POST", request.url.path, body.model_dump(mode="json")),
        render=_data,
    )
    headers = {REPLAYED_HEADER: "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


async def list_refunds(
    params: ops.ListRefundsParamsDep, viewer: CurrentViewer, refunds: RefundServiceDep
) -> Envelope[ops.ListRefundsData]:
    page = await refunds.list(params.order_id, viewer, page=params.page, limit=params.limit)
    return ok(
        ops.ListRefundsData.model_validate(
            {"items": page.items, "total": page.total, "page": params.page, "limit": params.limit},
            from_attributes=True,
        )
    )


async def get_refund(
    params: ops.GetRefundParamsDep, viewer: CurrentViewer, refunds: RefundServiceDep
) -> Envelope[ops.GetRefundData]:
    refund = await refunds.get(params.order_id, params.refund_id, viewer)
    return ok(ops.GetRefundData.model_validate(refund, from_attributes=True))


async def receive_wechat_pay_refund_notification(
    params: ops.ReceiveWechatPayRefundNotificationParamsDep,
    request: Request,
    refunds: RefundServiceDep,
    clock: ClockDep,
) -> Response:
    """Verified exactly like a payment notification, then applied once: success is an empty
    204, failures WeChat Pay's `{"code": "FAIL", ...}`. The headers are optional at the
    route, so a missing one is this handler's 401."""
    config = wechat_pay_config(request.app)
    if config is None:
        raise NotImplementedYet("WeChat Pay is not configured on this server")
    body = await request.body()
    try:
        result = config.open_refund(signed_headers(params), body, clock())
        outcome = await refunds.settle(result, "wechat")
    except NotificationRejected as rejected:
        return wechat_failure(rejected, request)
    except SQLAlchemyError:
        logger.exception("WeChat Pay refund notification could not be stored")
        return wechat_failure(NotificationRejected(500, "the refund could not be stored"), request)
    logger.info("WeChat Pay refund notification for %s: %s", result.out_refund_no, outcome)
    return Response(status_code=204)


HANDLERS: dict[str, Handler] = {
    "createRefund": create_refund,
    "listRefunds": list_refunds,
    "getRefund": get_refund,
    "receiveWechatPayRefundNotification": receive_wechat_pay_refund_notification,
}
