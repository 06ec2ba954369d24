from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, Int64, UTCDateTime, utcnow
from app.refunds.contract_fields import RefundContractFields
from app.refunds.item_contract_fields import RefundItemContractFields


class Refund(RefundContractFields, Base):
    """Money given back through one payment. Its amount (and its lines' units) are committed
    when it is created, so refunds together never exceed what was paid; a `closed` refund
    gives them back.

    `status`: pending → succeeded | closed | abnormal, and abnormal → succeeded | closed, each
    move a conditional update, so a repeated notification changes nothing. `of_order` is false
    for a refund of a payment flagged `refund_required` (taken after its order was closed):
    that money never paid the order, so the order's refunded amount and status stay.
    `submitted` is false until the channel acknowledged the request; the upkeep job sends
    unacknowledged ones again under the same `out_refund_no`.
    """

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    order_id: Mapped[int] = mapped_column(Int64, ForeignKey("orders.id", ondelete="CASCADE"))
    payment_id: Mapped[int] = mapped_column(Int64, ForeignKey("payments.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(80))
    restock: Mapped[bool] = mapped_column(default=False)
    of_order: Mapped[bool] = mapped_column(default=True)
    submitted: Mapped[bool] = mapped_column(default=False)
    channel_refund_id: Mapped[str | None] = mapped_column(String(64))
    channel_status: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[int | None] = mapped_column(
        Int64, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list["RefundItem"]] = relationship(
        cascade="all, delete-orphan", order_by="RefundItem.id", lazy="raise"
    )

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index("ix_refunds_order_id", "order_id", "created_at"),
        Index("ix_refunds_status", "status", "created_at"),
    )


class RefundItem(RefundItemContractFields, Base):
    """Units of one order line in a refund."""

    __tablename__ = "refund_items"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    refund_id: Mapped[int] = mapped_column(Int64, ForeignKey("refunds.id", ondelete="CASCADE"))
    order_item_id: Mapped[int] = mapped_column(
        Int64, ForeignKey("order_items.id", ondelete="CASCADE")
    )
    variant_id: Mapped[int | None] = mapped_column(Int64, ForeignKey("product_variants.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_refund_items_refund_id", "refund_id"),
    )
