"""The erp module's tables: the outbox, each entity's version, and what came in."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime, utcnow


class ErpOutbox(Base):
    """One version of one entity to deliver: `order:42:7` is order 42's seventh version.

    `status`: pending → delivering → delivered; back to pending (with `next_attempt_at`)
    after a failure; `dead` after the last attempt or a refusal; `superseded` when a newer
    version of the entity was written while this one waited.
    """

    __tablename__ = "erp_outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    sync_id: Mapped[str] = mapped_column(String(96), unique=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_erp_outbox_due", "status", "next_attempt_at"),
        Index("ix_erp_outbox_entity", "entity", "entity_id", "version"),
    )


class ErpEntityVersion(Base):
    """The last version written for an entity and a digest of its state: a change that
    leaves the state as it was writes no new version."""

    __tablename__ = "erp_entity_versions"

    entity: Mapped[str] = mapped_column(String(16), primary_key=True)
    entity_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ErpInboundState(Base):
    """The newest value the ERP pushed for a variant, per kind (`stock`, `price`)."""

    __tablename__ = "erp_inbound_state"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Variant ids are 64-bit, as in the product_variants table.
    variant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
    last_modified_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ErpInboundReceipt(Base):
    """Every `sync_id` the ERP pushed, and what became of it: a repeat changes nothing."""

    __tablename__ = "erp_inbound_receipts"

    sync_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(24))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
