"""The douyin module's tables: connected shops and their tokens, sync cursors, the map from
Douyin orders and skus to local ones, and received push messages."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime, utcnow


class DouyinShop(Base):
    """A shop this service holds tokens for. Tokens are stored encrypted (`app.douyin.crypto`).

    `token_version` grows with every stored token pair: a refresh writes only if it still
    sees the version it started from, so a refresh that lost its lock cannot overwrite a
    newer pair. `lease_*` stand in for the Redis lock when no Redis is configured.
    """

    __tablename__ = "douyin_shops"

    shop_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_name: Mapped[str | None] = mapped_column(String(255))
    authority_id: Mapped[str | None] = mapped_column(String(64))
    grant_type: Mapped[str] = mapped_column(String(32))
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="active")
    refresh_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_refresh_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DouyinSyncCursor(Base):
    """How far one resource of one shop is synced: every change up to `synced_through`."""

    __tablename__ = "douyin_sync_cursors"

    shop_id: Mapped[str] = mapped_column(
        ForeignKey("douyin_shops.shop_id", ondelete="CASCADE"), primary_key=True
    )
    resource: Mapped[str] = mapped_column(String(16), primary_key=True)
    synced_through: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="never")
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    items_changed: Mapped[int] = mapped_column(Integer, default=0)


class DouyinOrderLink(Base):
    """A Douyin order and what it did here: the mirrored order and the stock it moved.

    `stock_state` runs none → taken (paid: stock left the shop) → returned (cancelled after
    that), each step a conditional update, so stock moves once however often the order is
    seen. `taken` records the units per local product, to return exactly those.
    """

    __tablename__ = "douyin_orders"

    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(32))
    local_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    douyin_status: Mapped[int] = mapped_column(Integer)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)
    stock_state: Mapped[str] = mapped_column(String(16), default="none")
    taken: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unmatched_lines: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_douyin_orders_shop_id", "shop_id", "update_time"),)


class DouyinSku(Base):
    """A Douyin sku and the local product its merchant code names."""

    __tablename__ = "douyin_skus"

    sku_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[str] = mapped_column(String(32))
    code: Mapped[str | None] = mapped_column(String(64))
    # The local variant whose sku is `code`, as the last product sync found it.
    local_variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DouyinPushMessage(Base):
    """One pushed message, stored before it is acknowledged and processed after.

    `status`: pending → processing → done, or back to pending with `last_error` (the sync job
    retries it); `failed` after too many attempts. A claim older than `STALE_CLAIM` belongs
    to a worker that died and is taken over. `(app_key, msg_id)` is unique: a repeat push is
    acknowledged without work.
    """

    __tablename__ = "douyin_push_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_key: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(64))
    tag: Mapped[str] = mapped_column(String(16))
    shop_id: Mapped[str | None] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("app_key", "msg_id", name="uq_douyin_push_messages_msg"),
        Index("ix_douyin_push_messages_status", "status", "received_at"),
    )
