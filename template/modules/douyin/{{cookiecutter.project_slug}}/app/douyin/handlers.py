"""Handlers of the douyin module's operations: the admin's, and the signed message push."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request

from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import CurrentAdmin
from app.core.db import SessionDep
from app.core.envelope import Envelope, empty, ok
from app.core.errors import BadRequest, Code, NotImplementedYet, ShopError
from app.douyin import push, signing
from app.douyin.runtime import DouyinRuntime
from app.douyin.service import DouyinAdmin, shop_view

logger = logging.getLogger(__name__)

PUSH_ACK = "success"


class PushSignatureInvalid(ShopError):
    status_code, code, msg = 401, Code.UNAUTHORIZED, "Invalid webhook signature"


class GrantIncomplete(ShopError):
    status_code, code, msg = 422, Code.VALIDATION_FAILED, "Validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(data={"errors": [{"field": field, "message": message, "type": "missing"}]})


class PushNotStored(ShopError):
    msg = "The messages could not be stored"


def get_runtime(request: Request) -> DouyinRuntime:
    runtime: DouyinRuntime | None = getattr(request.app.state, "douyin", None)
    if runtime is None:
        raise NotImplementedYet(
            "Douyin is not configured: set DOUYIN_APP_KEY, DOUYIN_APP_SECRET and DOUYIN_TOKEN_KEYS"
        )
    return runtime


Runtime = Annotated[DouyinRuntime, Depends(get_runtime)]


def get_admin(session: SessionDep, runtime: Runtime) -> DouyinAdmin:
    return DouyinAdmin(session, runtime)


Admin = Annotated[DouyinAdmin, Depends(get_admin)]


async def list_douyin_shops(
    params: ops.ListDouyinShopsParamsDep, _: CurrentAdmin, admin: Admin
) -> Envelope[ops.ListDouyinShopsData]:
    rows, total = await admin.page(params.page, params.limit)
    return ok(
        ops.ListDouyinShopsData.model_validate(
            {
                "items": [shop_view(row, admin.window) for row in rows],
                "total": total,
                "page": params.page,
                "limit": params.limit,
            }
        )
    )


async def connect_douyin_shop(
    body: ops.ConnectDouyinShopBody, _: CurrentAdmin, admin: Admin
) -> Envelope[ops.ConnectDouyinShopData]:
    grant_type = str(body.model_dump(mode="json")["grant_type"])
    if grant_type == "authorization_self" and not body.shop_id:
        raise GrantIncomplete("shop_id", "authorization_self needs the shop's id.")
    if grant_type == "authorization_code" and not body.code:
        raise GrantIncomplete("code", "authorization_code needs the code Douyin returned.")
    shop = await admin.connect(grant_type, body.shop_id, body.code)
    return ok(ops.ConnectDouyinShopData.model_validate(shop_view(shop, admin.window)))


async def get_douyin_sync_status(
    params: ops.GetDouyinSyncStatusParamsDep, _: CurrentAdmin, admin: Admin
) -> Envelope[ops.GetDouyinSyncStatusData]:
    return ok(ops.GetDouyinSyncStatusData.model_validate(await admin.status(params.shop_id)))


async def start_douyin_sync(
    params: ops.StartDouyinSyncParamsDep, _: CurrentAdmin, admin: Admin
) -> Envelope[ops.StartDouyinSyncData]:
    return ok(ops.StartDouyinSyncData.model_validate(await admin.start(params.shop_id)))


async def receive_douyin_push(
    params: ops.ReceiveDouyinPushParamsDep,
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    runtime: Runtime,
) -> Envelope[None]:
    """The signature is checked over the raw bytes before anything is parsed; the answer
    `{"code": 0, "msg": "success"}` is what Douyin takes as received."""
    settings = runtime.settings
    assert settings.app_key is not None and settings.app_secret is not None
    body = await request.body()
    method = params.sign_method or "md5"
    if params.app_id != settings.app_key or not signing.verify_push(
        method,
        app_key=settings.app_key,
        secret=settings.app_secret.get_secret_value(),
        body=body,
        signature=params.event_sign,
    ):
        logger.warning(
            "douyin push with a bad signature or app id from %s; ignored",
            request.client.host if request.client else "?",
        )
        raise PushSignatureInvalid()
    try:
        messages = push.parse(body)
    except ValueError as error:
        raise BadRequest(str(error)) from None
    try:
        stored = await push.store(session, settings.app_key, messages)
    except RuntimeError:
        raise PushNotStored() from None
    for message_id in stored:
        background.add_task(
            push.process, runtime.sessionmaker, runtime.client, runtime.mirror, message_id
        )
    logger.info("douyin push messages=%d new=%d", len(messages), len(stored))
    return empty(PUSH_ACK)


HANDLERS: dict[str, Handler] = {
    "listDouyinShops": list_douyin_shops,
    "connectDouyinShop": connect_douyin_shop,
    "getDouyinSyncStatus": get_douyin_sync_status,
    "startDouyinSync": start_douyin_sync,
    "receiveDouyinPush": receive_douyin_push,
}
