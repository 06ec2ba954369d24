"""Storing Shopify deliveries at once, processing them after, and retrying what failed.

A delivery is claimed by a conditional UPDATE (pending → processing), so two workers (the
background task and the sweeper, or two processes) never process it at once, with or
without Redis. Processing is idempotent anyway: orders are upserted by (source, external id)
and only a newer `updated_at` changes them; stock is set, not adjusted.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import changes
from app.core.db import utcnow
from app.core.metrics import Metrics
from app.orders.models import Order
from app.orders.service import LineDraft, OrderService
from app.orders.state import IllegalTransition, OrderStatus
from app.products.cache import ProductCache
from app.products.models import Product, ProductVariant
from app.stock.backend import StockBackend
from app.webhooks import compliance, shopify
from app.webhooks.models import ShopifyDelivery, ShopifyVariant

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
Hook = Callable[[AsyncSession, str, dict[str, Any]], Awaitable[None]]
# Topics Shopify requires every app to accept; what they do is the project's own code.
COMPLIANCE_HOOKS: Mapping[str, Hook] = {
    "app/uninstalled": compliance.app_uninstalled,
    "customers/data_request": compliance.customer_data_request,
    "customers/redact": compliance.customer_redact,
    "shop/redact": compliance.shop_redact,
}
# A claim older than this belongs to a worker that died; the sweeper takes it over.
STALE_CLAIM = timedelta(minutes=5)


async def store(session: AsyncSession, delivery: ShopifyDelivery) -> bool:
    """Insert the delivery; False when the same event was stored before (a duplicate)."""
    session.add(delivery)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    return True


async def _claim(session: AsyncSession, delivery_id: int, now: datetime) -> bool:
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(ShopifyDelivery)
        .where(
            ShopifyDelivery.id == delivery_id,
            or_(
                ShopifyDelivery.status == "pending",
                (ShopifyDelivery.status == "processing")
                & (ShopifyDelivery.claimed_at < now - STALE_CLAIM),
            ),
        )
        .values(status="processing", claimed_at=now, attempts=ShopifyDelivery.attempts + 1)
    )
    await session.commit()
    return result.rowcount == 1


async def process(
    sessionmaker: async_sessionmaker[AsyncSession],
    stock: StockBackend,
    delivery_id: int,
    now: datetime | None = None,
    *,
    product_cache: ProductCache | None = None,
    metrics: Metrics | None = None,
) -> bool:
    """Process one stored delivery if nobody else is; whether it is done now."""
    now = now or utcnow()
    async with sessionmaker() as session:
        if not await _claim(session, delivery_id, now):
            return False
        delivery = await session.get(ShopifyDelivery, delivery_id)
        assert delivery is not None
        topic, shop, body = delivery.topic, delivery.shop, delivery.body
        attempts = delivery.attempts
    try:
        async with sessionmaker() as session:
            processor = Processor(session, stock, shop, product_cache=product_cache)
            applied = await processor.handle(topic, shopify.parse(body.encode()))
        if not applied:
            logger.info(
                "Shopify delivery %s (%s) is older than what is stored; ignored", delivery_id, topic
            )
            if metrics is not None:
                metrics.webhooks_ignored.labels("shopify", topic, "stale").inc()
    except Exception as error:  # noqa: BLE001 - any failure leaves the row for the sweeper
        logger.warning("Shopify delivery %s (%s) failed: %r", delivery_id, topic, error)
        status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        values: dict[str, Any] = {"status": status, "last_error": repr(error)[:2000]}
    else:
        status = "done"
        values = {"status": status, "processed_at": utcnow(), "last_error": None}
    async with sessionmaker() as session:
        await session.execute(
            update(ShopifyDelivery).where(ShopifyDelivery.id == delivery_id).values(**values)
        )
        await session.commit()
    return status == "done"


async def sweep(
    sessionmaker: async_sessionmaker[AsyncSession],
    stock: StockBackend,
    now: datetime | None = None,
    limit: int = 100,
    *,
    product_cache: ProductCache | None = None,
    metrics: Metrics | None = None,
) -> int:
    """Retry pending deliveries and take over stale claims, oldest first; how many finished."""
    now = now or utcnow()
    async with sessionmaker() as session:
        ids = await session.scalars(
            select(ShopifyDelivery.id)
            .where(
                or_(
                    ShopifyDelivery.status == "pending",
                    (ShopifyDelivery.status == "processing")
                    & (ShopifyDelivery.claimed_at < now - STALE_CLAIM),
                )
            )
            .order_by(ShopifyDelivery.id)
            .limit(limit)
        )
        pending = list(ids)
    done = 0
    for delivery_id in pending:
        done += await process(
            sessionmaker, stock, delivery_id, now, product_cache=product_cache, metrics=metrics
        )
    return done


class Processor:
    """What each topic does to the local orders, products and stock."""

    def __init__(
        self,
        session: AsyncSession,
        stock: StockBackend,
        shop: str,
        *,
        product_cache: ProductCache | None = None,
    ) -> None:
        self.session = session
        self.stock = stock
        self.shop = shop
        self.orders = OrderService(session, stock, product_cache=product_cache)
        self.product_cache = product_cache

    async def handle(self, topic: str, payload: dict[str, Any]) -> bool:
        """Apply the delivery; False when it was older than what is stored (and ignored)."""
        if topic in shopify.ORDER_TOPICS:
            return await self.mirror_order(topic, payload)
        if topic == "refunds/create":
            await self.refund(payload)
        elif topic == "products/update":
            await self.map_variants(payload)
        elif topic == "inventory_levels/update":
            return await self.set_inventory(payload)
        elif topic in COMPLIANCE_HOOKS:
            await COMPLIANCE_HOOKS[topic](self.session, self.shop, payload)
        else:
            logger.info("Shopify topic %s needs no local change", topic)
        return True

    async def mirror_order(self, topic: str, payload: dict[str, Any]) -> bool:
        mirrored = shopify.order(topic, payload)
        drafts: list[LineDraft] = []
        for line in mirrored.lines:
            found = await self._variant_for(line.sku, line.variant_id)
            if found is None:
                logger.warning(
                    "Shopify order %s: no local variant for sku %s / variant %s",
                    mirrored.external_id,
                    line.sku,
                    line.variant_id,
                )
                continue
            variant, product = found
            drafts.append(
                LineDraft(
                    product_id=product.id,
                    variant_id=variant.id,
                    sku=variant.sku,
                    title=line.title or product.title,
                    variant_title=variant.title,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price_cents,
                )
            )
        stored = await self.orders.upsert_external(
            source="shopify",
            external_id=mirrored.external_id,
            status=mirrored.status,
            items=drafts,
            total_cents=mirrored.total_cents,
            currency=mirrored.currency,
            updated_at=mirrored.updated_at,
        )
        return stored.updated_at <= mirrored.updated_at

    async def _variant_for(
        self, sku: str | None, shopify_variant_id: int | None
    ) -> tuple[ProductVariant, Product] | None:
        """The local variant a Shopify line stands for: by sku, else by the variant map."""
        variant: ProductVariant | None = None
        if sku:
            variant = await self.session.scalar(
                select(ProductVariant).where(
                    ProductVariant.sku == sku, ProductVariant.deleted_at.is_(None)
                )
            )
        if variant is None and shopify_variant_id is not None:
            mapped = await self.session.get(ShopifyVariant, shopify_variant_id)
            if mapped is not None and mapped.product_variant_id is not None:
                variant = await self.session.get(ProductVariant, mapped.product_variant_id)
        if variant is None:
            return None
        product = await self.session.get(Product, variant.product_id)
        return (variant, product) if product is not None else None

    async def refund(self, payload: dict[str, Any]) -> None:
        """A refund makes the mirrored order `partially_refunded`, or `refunded` when it
        gives back the whole total; stock follows through `inventory_levels/update`, which
        Shopify sends when it restocks."""
        external_id = shopify.external_id(payload["order_id"])
        order = await self.session.scalar(
            select(Order).where(Order.source == "shopify", Order.external_id == external_id)
        )
        if order is None:
            logger.info("Shopify refund for unknown order %s", external_id)
            return
        refunded = shopify.refunded_cents(payload, order.currency)
        if refunded <= 0 or order.status == OrderStatus.REFUNDED:
            return
        target = (
            OrderStatus.REFUNDED
            if refunded >= order.total_cents
            else OrderStatus.PARTIALLY_REFUNDED
        )
        if order.status == target:
            return
        try:
            await self.orders.change_status(order.id, target)
        except IllegalTransition as error:
            logger.info("Shopify refund of order %s: %s", external_id, error.msg)

    async def map_variants(self, payload: dict[str, Any]) -> None:
        product_id = int(payload["id"])
        for raw in payload.get("variants") or ():
            sku = str(raw["sku"]) if raw.get("sku") else None
            local: ProductVariant | None = None
            if sku:
                local = await self.session.scalar(
                    select(ProductVariant).where(
                        ProductVariant.sku == sku, ProductVariant.deleted_at.is_(None)
                    )
                )
            variant = await self.session.get(ShopifyVariant, int(raw["id"]))
            if variant is None:
                variant = ShopifyVariant(variant_id=int(raw["id"]), shop=self.shop)
                self.session.add(variant)
            variant.shopify_product_id = product_id
            item = raw.get("inventory_item_id")
            variant.inventory_item_id = int(item) if item is not None else None
            variant.sku = sku
            variant.product_id = local.product_id if local is not None else None
            variant.product_variant_id = local.id if local is not None else None
            variant.updated_at = utcnow()
        await self.session.commit()
        self._products_changed()

    async def set_inventory(self, payload: dict[str, Any]) -> bool:
        """Set the variant's stock from Shopify's level, if this level is newer than the last
        one applied to the inventory item (deliveries come out of order, and a replayed old
        level must not roll stock back)."""
        available = payload.get("available")
        if available is None:
            return True  # untracked inventory
        item = int(payload["inventory_item_id"])
        changed_at = shopify.timestamp(payload["updated_at"]) if payload.get("updated_at") else None
        variant = await self.session.scalar(
            select(ShopifyVariant).where(ShopifyVariant.inventory_item_id == item).limit(1)
        )
        if variant is None or variant.product_variant_id is None:
            logger.info("Shopify inventory item %s maps to no variant", item)
            return True
        if changed_at is not None and variant.inventory_updated_at is not None:
            if changed_at <= variant.inventory_updated_at:
                return False
        # Only if nobody applied a newer level meanwhile: the row's timestamp is the fence.
        fence: ColumnElement[bool] = ShopifyVariant.inventory_updated_at.is_(None)
        if variant.inventory_updated_at is not None:
            fence = ShopifyVariant.inventory_updated_at == variant.inventory_updated_at
        moved = await self.session.execute(
            update(ShopifyVariant)
            .where(ShopifyVariant.variant_id == variant.variant_id, fence)
            .values(inventory_updated_at=changed_at or utcnow())
            .execution_options(synchronize_session=False)
        )
        if getattr(moved, "rowcount", 0) != 1:
            await self.session.rollback()
            return False
        variant_id = variant.product_variant_id
        level = max(int(available), 0)
        await self.session.execute(
            update(ProductVariant)
            .where(ProductVariant.id == variant_id)
            .values(stock=level, updated_at=utcnow())
        )
        await changes.record(self.session, "stock", variant_id)
        await self.session.commit()
        self._products_changed()
        await self.stock.set_level(variant_id, level)
        return True

    def _products_changed(self) -> None:
        # Product reads show stock and come from this process's cache: drop what it holds.
        # Other workers catch up within PRODUCT_CACHE_TTL.
        if self.product_cache is not None:
            self.product_cache.clear()
