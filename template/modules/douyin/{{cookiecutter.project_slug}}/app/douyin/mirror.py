"""Douyin orders mirrored into the shop's orders, the way Shopify orders are.

The local order has `source` `douyin` and the Douyin order id as `external_id` (a string:
the ids exceed what JavaScript numbers hold); amounts are fen, as Douyin sends them. Only a
newer `update_time` changes a mirrored order, so the overlap between sync windows and
repeated pushes change nothing twice.

Stock: a Douyin order sells this shop's units. When Douyin reports it paid (or later), its
lines leave local stock once; when a paid order is cancelled, they come back once. Both are
conditional updates of the order's `stock_state` in the transaction that moves the stock.
Douyin has sold the units already, so taking them never fails: a count that would go below
zero stops at zero, and the shortfall is logged.

Order statuses and fields follow public SDKs (see `app.douyin.__init__`).
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import changes
from app.douyin.models import DouyinOrderLink, DouyinSku
from app.orders.service import LineDraft, OrderService
from app.orders.state import OrderStatus
from app.products.cache import ProductCache
from app.products.models import ProductVariant
from app.stock.backend import StockBackend

logger = logging.getLogger(__name__)

SOURCE = "douyin"
CURRENCY = "CNY"
# order_status -> the local status. 1 awaiting payment, 103 partly paid, 105 paid (awaiting
# confirmation), 2 paid and being packed, 101 partly shipped, 3 shipped, 5 completed,
# 4 cancelled.
STATUSES: Mapping[int, OrderStatus] = {
    1: OrderStatus.PENDING_PAYMENT,
    103: OrderStatus.PENDING_PAYMENT,
    105: OrderStatus.PAID,
    2: OrderStatus.PAID,
    101: OrderStatus.PARTIALLY_SHIPPED,
    3: OrderStatus.SHIPPED,
    5: OrderStatus.COMPLETED,
    4: OrderStatus.CANCELLED,
}
SOLD = frozenset({105, 2, 101, 3, 5})
CANCELLED = 4


@dataclass(frozen=True, slots=True)
class DouyinLine:
    sku_id: str
    code: str | None
    title: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True, slots=True)
class DouyinOrder:
    order_id: str
    status: int
    total_cents: int
    update_time: datetime
    lines: tuple[DouyinLine, ...]

    @property
    def local_status(self) -> OrderStatus:
        return STATUSES.get(self.status, OrderStatus.PENDING_PAYMENT)


def _time(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


def parse_order(raw: Mapping[str, Any]) -> DouyinOrder:
    """A Douyin order as `order.searchList` or `order.orderDetail` returns it."""
    lines = []
    for item in raw.get("sku_order_list") or ():
        quantity = int(item.get("item_num") or 0)
        if quantity <= 0:
            continue
        if item.get("goods_price") is not None:
            unit = int(item["goods_price"])
        else:
            unit = int(item.get("origin_amount") or 0) // quantity
        code = str(item.get("code") or item.get("out_sku_id") or "") or None
        lines.append(
            DouyinLine(
                sku_id=str(item.get("sku_id") or ""),
                code=code,
                title=str(item.get("product_name") or code or "Douyin item")[:200],
                quantity=quantity,
                unit_price_cents=max(unit, 0),
            )
        )
    return DouyinOrder(
        order_id=str(raw["order_id"]),
        status=int(raw["order_status"]),
        total_cents=max(int(raw.get("pay_amount") or raw.get("order_amount") or 0), 0),
        update_time=_time(raw["update_time"]),
        lines=tuple(lines),
    )


class Mirror:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        stock: StockBackend,
        product_cache: ProductCache | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._stock = stock
        self._product_cache = product_cache

    async def order(self, shop_id: str, raw: Mapping[str, Any]) -> bool:
        """Mirror one Douyin order; whether anything here changed."""
        order = parse_order(raw)
        async with self._sessionmaker() as session:
            link = await session.get(DouyinOrderLink, order.order_id)
            if link is not None and link.update_time >= order.update_time:
                return False
            drafts, unmatched = await self._drafts(session, order.lines)
            local_id = None
            if drafts:
                mirrored = await OrderService(session, self._stock).upsert_external(
                    source=SOURCE,
                    external_id=order.order_id,
                    status=order.local_status,
                    items=drafts,
                    total_cents=order.total_cents,
                    currency=CURRENCY,
                    updated_at=order.update_time,
                )
                local_id = mirrored.id
            else:
                logger.warning(
                    "douyin order %s matches no local product; not mirrored", order.order_id
                )
        levels = await self._link(shop_id, order, local_id, drafts, unmatched)
        for variant_id, level in levels.items():
            await self._stock.set_level(variant_id, level)
        if levels and self._product_cache is not None:
            self._product_cache.clear()
        return True

    async def _drafts(
        self, session: AsyncSession, lines: Sequence[DouyinLine]
    ) -> tuple[list[LineDraft], int]:
        drafts: list[LineDraft] = []
        unmatched = 0
        for line in lines:
            variant = await self._variant(session, line)
            if variant is None:
                logger.warning(
                    "douyin sku %s (code %s) maps to no local variant", line.sku_id, line.code
                )
                unmatched += 1
                continue
            drafts.append(
                LineDraft(
                    product_id=variant.product_id,
                    variant_id=variant.id,
                    sku=variant.sku,
                    title=line.title,
                    variant_title=variant.title,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price_cents,
                )
            )
        return drafts, unmatched

    async def _variant(self, session: AsyncSession, line: DouyinLine) -> ProductVariant | None:
        """The local variant a line sells: by merchant code (the variant's sku), else by the
        Douyin sku a product sync matched."""
        if line.code:
            variant = await session.scalar(
                select(ProductVariant).where(
                    ProductVariant.sku == line.code, ProductVariant.deleted_at.is_(None)
                )
            )
            if variant is not None:
                return variant
        if line.sku_id:
            local_id = await session.scalar(
                select(DouyinSku.local_variant_id).where(DouyinSku.sku_id == line.sku_id)
            )
            if local_id is not None:
                return await session.get(ProductVariant, local_id)
        return None

    async def _link(
        self,
        shop_id: str,
        order: DouyinOrder,
        local_id: int | None,
        drafts: Sequence[LineDraft],
        unmatched: int,
    ) -> dict[int, int]:
        """Record the Douyin order and move its stock at most once; the new stock levels."""
        units: dict[str, int] = {}
        for draft in drafts:
            assert draft.variant_id is not None  # drafts are matched lines
            key = str(draft.variant_id)
            units[key] = units.get(key, 0) + draft.quantity
        for _ in range(2):
            async with self._sessionmaker() as session:
                try:
                    return await self._link_once(
                        session, shop_id, order, local_id, units, unmatched
                    )
                except IntegrityError:
                    await session.rollback()  # the same order arrived twice at once
        raise RuntimeError(f"could not record Douyin order {order.order_id}")

    async def _link_once(
        self,
        session: AsyncSession,
        shop_id: str,
        order: DouyinOrder,
        local_id: int | None,
        units: Mapping[str, int],
        unmatched: int,
    ) -> dict[int, int]:
        link = await session.get(DouyinOrderLink, order.order_id, populate_existing=True)
        if link is None:
            link = DouyinOrderLink(order_id=order.order_id, shop_id=shop_id, stock_state="none")
            session.add(link)
        elif link.update_time >= order.update_time:
            return {}
        link.local_order_id = local_id
        link.douyin_status = order.status
        link.update_time = order.update_time
        link.unmatched_lines = unmatched
        await session.flush()
        moved: dict[str, int] = {}
        if order.status in SOLD and units:
            if await self._step(session, order.order_id, "none", "taken", units):
                moved = {product: -quantity for product, quantity in units.items()}
        elif order.status == CANCELLED:
            taken = dict(link.taken or {})
            if taken and await self._step(session, order.order_id, "taken", "returned", taken):
                moved = taken
        levels = {}
        for variant, delta in sorted(moved.items()):
            levels[int(variant)] = await self._move_stock(session, int(variant), delta)
        await session.commit()
        return levels

    async def _step(
        self,
        session: AsyncSession,
        order_id: str,
        before: str,
        after: str,
        taken: Mapping[str, int],
    ) -> bool:
        result = await session.execute(
            update(DouyinOrderLink)
            .where(DouyinOrderLink.order_id == order_id, DouyinOrderLink.stock_state == before)
            .values(stock_state=after, taken=dict(taken))
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def _move_stock(self, session: AsyncSession, variant_id: int, delta: int) -> int:
        count = ProductVariant.stock
        before = await session.scalar(select(count).where(ProductVariant.id == variant_id))
        if before is not None and before + delta < 0:
            logger.warning(
                "douyin sold %d of variant %s with %d in stock; stock stops at 0",
                -delta,
                variant_id,
                before,
            )
        await session.execute(
            update(ProductVariant)
            .where(ProductVariant.id == variant_id)
            .values(stock=case((count + delta >= 0, count + delta), else_=0))
            .execution_options(synchronize_session=False)
        )
        await changes.record(session, "stock", variant_id)
        level = await session.scalar(select(count).where(ProductVariant.id == variant_id))
        return int(level or 0)

    async def sku(self, shop_id: str, product_id: str, raw: Mapping[str, Any]) -> bool:
        """Remember which local variant a Douyin sku stands for (by its merchant code)."""
        sku_id = str(raw.get("id") or raw.get("sku_id") or "")
        if not sku_id:
            return False
        code = str(raw.get("code") or "") or None
        async with self._sessionmaker() as session:
            local = None
            if code:
                local = await session.scalar(
                    select(ProductVariant.id).where(
                        ProductVariant.sku == code, ProductVariant.deleted_at.is_(None)
                    )
                )
            row = await session.get(DouyinSku, sku_id)
            if row is not None and row.code == code and row.local_variant_id == local:
                return False
            if row is None:
                row = DouyinSku(sku_id=sku_id, shop_id=shop_id, product_id=product_id)
                session.add(row)
            row.code = code
            row.local_variant_id = local
            row.product_id = product_id
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return False
        return True
