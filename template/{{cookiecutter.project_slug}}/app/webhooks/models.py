from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, Int64, UTCDateTime, utcnow
from app.webhooks.contract_fields import ShopifyDeliveryContractFields


class ShopifyDelivery(ShopifyDeliveryContractFields, Base):
    """One Shopify event, stored before it is answered and processed after.

    `dedup_key` is the event id (the same on every retry) or, for deliveries without one,
    the webhook id; `body_sha256` catches a signed body sent again under new ids (a replay).
    `status` runs pending → processing → done, or back to pending with `last_error` for the
    sweeper to retry; `failed` after too many attempts. The fields the contract adds to the
    receipt come from the generated `ShopifyDeliveryContractFields`.
    """

    __tablename__ = "shopify_deliveries"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    shop: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(String(64))
    webhook_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(64))
    api_version: Mapped[str | None] = mapped_column(String(16))
    triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("shop", "topic", "dedup_key", name="uq_shopify_deliveries_event"),
        Index("uq_shopify_deliveries_body", "shop", "topic", "body_sha256", unique=True),
        Index("ix_shopify_deliveries_status", "status", "received_at"),
    )


class ShopifyVariant(Base):
    """A Shopify variant and the local variant it stands for (matched by sku), so inventory
    updates, which name only the inventory item, reach the right variant's stock."""

    __tablename__ = "shopify_variants"

    variant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    shop: Mapped[str] = mapped_column(String(255))
    shopify_product_id: Mapped[int] = mapped_column(BigInteger)
    inventory_item_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    sku: Mapped[str | None] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(
        Int64, ForeignKey("products.id", ondelete="SET NULL")
    )
    product_variant_id: Mapped[int | None] = mapped_column(
        Int64, ForeignKey("product_variants.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The `updated_at` of the last inventory level applied: an older one is stale.
    inventory_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
