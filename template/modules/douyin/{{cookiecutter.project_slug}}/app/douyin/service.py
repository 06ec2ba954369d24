"""The admin side of the module: connect shops, list them with their token health, run and
read the sync."""

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import utcnow
from app.core.errors import (
    Code,
    NotFound,
    ShopError,
    UpstreamBusy,
    UpstreamError,
    UpstreamTimeout,
)
from app.douyin import errors
from app.douyin.models import DouyinShop, DouyinSyncCursor
from app.douyin.runtime import DouyinRuntime
from app.douyin.sync import RESOURCES
from app.douyin.tokens import token_status


class ShopNotFound(NotFound):
    msg = "Douyin shop not connected"


class ReauthorizeFirst(ShopError):
    status_code, code, msg = 409, Code.ILLEGAL_TRANSITION, "Authorize the shop again first"


def upstream_error(error: errors.DouyinError) -> ShopError:
    """What a failed Douyin call means for the admin who asked."""
    if isinstance(error, errors.DouyinTimeout):
        return UpstreamTimeout("Douyin did not answer in time")
    if isinstance(error, errors.DouyinTransportError | errors.DouyinUnavailable):
        return UpstreamBusy("Douyin is unavailable; try again", headers={"Retry-After": "30"})
    if isinstance(error, errors.DouyinRateLimited):
        return UpstreamBusy(
            "Douyin rate-limited the call; try again", headers={"Retry-After": "60"}
        )
    return UpstreamError(f"Douyin refused: {error}")


def shop_view(shop: DouyinShop, window: timedelta) -> dict[str, Any]:
    return {
        "shop_id": shop.shop_id,
        "shop_name": shop.shop_name,
        "authority_id": shop.authority_id,
        "grant_type": shop.grant_type,
        "token_status": token_status(shop, utcnow(), window),
        "access_token_expires_at": shop.access_expires_at,
        "refresh_token_expires_at": shop.refresh_expires_at,
        "refresh_failures": shop.refresh_failures,
        "next_refresh_at": shop.next_refresh_at,
        "last_error": shop.last_error,
        "connected_at": shop.connected_at,
        "updated_at": shop.updated_at,
    }


class DouyinAdmin:
    def __init__(self, session: AsyncSession, runtime: DouyinRuntime) -> None:
        self.session = session
        self.runtime = runtime
        self.window = timedelta(seconds=runtime.settings.refresh_window)

    async def connect(self, grant_type: str, shop_id: str | None, code: str | None) -> DouyinShop:
        try:
            connected = await self.runtime.tokens.connect(grant_type, shop_id=shop_id, code=code)
        except errors.DouyinError as error:
            raise upstream_error(error) from None
        shop = await self.session.get(DouyinShop, connected, populate_existing=True)
        assert shop is not None
        return shop

    async def page(self, page: int, limit: int) -> tuple[list[DouyinShop], int]:
        total = await self.session.scalar(select(func.count()).select_from(DouyinShop))
        rows = await self.session.scalars(
            select(DouyinShop)
            .order_by(DouyinShop.connected_at.desc(), DouyinShop.shop_id)
            .offset((page - 1) * limit)
            .limit(limit)
        )
        return list(rows), total or 0

    async def shop(self, shop_id: str) -> DouyinShop:
        shop = await self.session.get(DouyinShop, shop_id, populate_existing=True)
        if shop is None:
            raise ShopNotFound()
        return shop

    async def status(self, shop_id: str) -> dict[str, Any]:
        await self.shop(shop_id)
        cursors = {
            cursor.resource: cursor
            for cursor in await self.session.scalars(
                select(DouyinSyncCursor)
                .where(DouyinSyncCursor.shop_id == shop_id)
                .execution_options(populate_existing=True)
            )
        }
        resources = []
        for resource in RESOURCES:
            cursor = cursors.get(resource)
            resources.append(
                {
                    "resource": resource,
                    "status": cursor.status if cursor else "never",
                    "synced_through": cursor.synced_through if cursor else None,
                    "last_started_at": cursor.last_started_at if cursor else None,
                    "last_finished_at": cursor.last_finished_at if cursor else None,
                    "last_error": cursor.last_error if cursor else None,
                    "items_seen": cursor.items_seen if cursor else 0,
                    "items_changed": cursor.items_changed if cursor else 0,
                }
            )
        return {
            "shop_id": shop_id,
            "running": self.runtime.sync.running(shop_id),
            "resources": resources,
        }

    async def start(self, shop_id: str) -> dict[str, Any]:
        shop = await self.shop(shop_id)
        if shop.status == "reauthorize":
            raise ReauthorizeFirst()
        if not self.runtime.sync.running(shop_id):
            self.runtime.start_sync(shop_id)
        view = await self.status(shop_id)
        view["running"] = True
        return view
