"""Incremental pull of orders and products, per shop, by update-time windows.

Each (shop, resource) keeps a cursor: every change up to `synced_through` is here. A run
reads from `synced_through - DOUYIN_SYNC_OVERLAP` to `now - DOUYIN_SYNC_SETTLE` (changes
Douyin is still indexing land in the next run), in windows of at most
`DOUYIN_SYNC_MAX_WINDOW`, and moves the cursor to the end of a window only once every page
of it is stored, so a failed run leaves a cursor the next run resumes from: never a gap. The
overlap reads some orders twice; mirroring ignores what is not newer.

Orders are paged by keyset: after a full page the next request starts at the last update
time seen (pages of one second's changes step by page number), so an order updated while
the pages are read cannot shift an unread one out of view.

Shops sync concurrently, at most `DOUYIN_SYNC_CONCURRENCY` at once; a shop that fails
(a refused token, Douyin down) is recorded on its cursor and does not stop the others.
"""

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import utcnow
from app.douyin import errors
from app.douyin.client import DouyinClient, ShopClient
from app.douyin.config import DouyinSettings
from app.douyin.mirror import Mirror
from app.douyin.models import DouyinShop, DouyinSyncCursor

logger = logging.getLogger(__name__)

Resource = Literal["orders", "products"]
RESOURCES: tuple[Resource, ...] = ("orders", "products")
Clock = Callable[[], datetime]


class DouyinSync:
    def __init__(
        self,
        client: DouyinClient,
        mirror: Mirror,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: DouyinSettings,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self._client = client
        self._mirror = mirror
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._clock = clock
        self._running: set[str] = set()

    def running(self, shop_id: str) -> bool:
        return shop_id in self._running

    async def run_all(self) -> dict[str, bool]:
        """Sync every active shop, a bounded number at once; whether each succeeded."""
        async with self._sessionmaker() as session:
            shops = list(
                await session.scalars(
                    select(DouyinShop.shop_id)
                    .where(DouyinShop.status == "active")
                    .order_by(DouyinShop.shop_id)
                )
            )
        gate = asyncio.Semaphore(self._settings.sync_concurrency)

        async def one(shop_id: str) -> bool:
            async with gate:
                return await self.run_shop(shop_id)

        outcomes = await asyncio.gather(*(one(shop_id) for shop_id in shops))
        return dict(zip(shops, outcomes, strict=True))

    async def run_shop(self, shop_id: str, resources: Iterable[Resource] = RESOURCES) -> bool:
        """One run for one shop; False if a resource failed (its cursor says why). A run
        already going for the shop in this process is not started twice."""
        if shop_id in self._running:
            return True
        self._running.add(shop_id)
        try:
            ok = True
            for resource in resources:
                ok = await self._run(shop_id, resource) and ok
            return ok
        finally:
            self._running.discard(shop_id)

    async def _cursor(self, session: AsyncSession, shop_id: str, resource: str) -> DouyinSyncCursor:
        cursor = await session.get(DouyinSyncCursor, (shop_id, resource))
        if cursor is None:
            cursor = DouyinSyncCursor(shop_id=shop_id, resource=resource, status="never")
            session.add(cursor)
        return cursor

    async def _run(self, shop_id: str, resource: Resource) -> bool:
        now = self._clock()
        end = now - timedelta(seconds=self._settings.sync_settle)
        async with self._sessionmaker() as session:
            cursor = await self._cursor(session, shop_id, resource)
            if cursor.synced_through is None:
                start = end - timedelta(seconds=self._settings.sync_first_window)
            else:
                start = cursor.synced_through - timedelta(seconds=self._settings.sync_overlap)
            cursor.status = "running"
            cursor.last_started_at = now
            await session.commit()
        shop = self._client.for_shop(shop_id)
        seen = changed = 0
        step = timedelta(seconds=self._settings.sync_max_window)
        outcome, error_text = "ok", None
        try:
            window_start = start
            while window_start < end:
                window_end = min(window_start + step, end)
                pull = self._orders if resource == "orders" else self._products
                s, c = await pull(shop, window_start, window_end)
                seen, changed = seen + s, changed + c
                await self._advance(shop_id, resource, window_end)
                window_start = window_end
        except Exception as error:  # one shop's failure must not stop the others' sync
            outcome, error_text = "failed", f"{type(error).__name__}: {error}"[:1000]
            expected = isinstance(error, errors.DouyinError | KeyError | TypeError | ValueError)
            log = logger.warning if expected else logger.exception
            log(
                "douyin sync failed shop_id=%s resource=%s error=%s",
                shop_id,
                resource,
                type(error).__name__,
            )
        async with self._sessionmaker() as session:
            cursor = await self._cursor(session, shop_id, resource)
            cursor.status = outcome
            cursor.last_finished_at = self._clock()
            cursor.last_error = error_text
            cursor.items_seen = seen
            cursor.items_changed = changed
            await session.commit()
        logger.info(
            "douyin sync shop_id=%s resource=%s outcome=%s seen=%d changed=%d",
            shop_id,
            resource,
            outcome,
            seen,
            changed,
        )
        return outcome == "ok"

    async def _advance(self, shop_id: str, resource: str, through: datetime) -> None:
        async with self._sessionmaker() as session:
            cursor = await self._cursor(session, shop_id, resource)
            if cursor.synced_through is None or cursor.synced_through < through:
                cursor.synced_through = through
            await session.commit()

    async def _orders(self, shop: ShopClient, start: datetime, end: datetime) -> tuple[int, int]:
        low, high = int(start.timestamp()), int(end.timestamp())
        size = self._settings.page_size
        page = 0
        seen = changed = 0
        while True:
            data = await shop.order.search(
                update_time_start=low, update_time_end=high, page=page, size=size
            )
            orders: list[dict[str, Any]] = list(data.get("shop_order_list") or ())
            for raw in orders:
                seen += 1
                changed += await self._mirror.order(shop.shop_id, raw)
            if len(orders) < size:
                return seen, changed
            last = int(orders[-1]["update_time"])
            if last > low:
                low, page = last, 0
            else:
                page += 1

    async def _products(self, shop: ShopClient, start: datetime, end: datetime) -> tuple[int, int]:
        size = self._settings.page_size
        page = 1
        seen = changed = 0
        while True:
            data = await shop.product.list(
                page=page,
                size=size,
                update_start_time=int(start.timestamp()),
                update_end_time=int(end.timestamp()),
            )
            products: list[dict[str, Any]] = list(data.get("data") or ())
            for product in products:
                product_id = str(product["product_id"])
                skus = await shop.product.skus(product_id=product_id)
                for sku in skus.get("data") or ():
                    seen += 1
                    changed += await self._mirror.sku(shop.shop_id, product_id, sku)
            if len(products) < size:
                return seen, changed
            page += 1
