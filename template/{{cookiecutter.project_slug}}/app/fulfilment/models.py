from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, Int64, UTCDateTime, utcnow
from app.fulfilment.contract_fields import ShipmentContractFields
from app.fulfilment.item_contract_fields import ShipmentItemContractFields


class Shipment(ShipmentContractFields, Base):
    """One parcel of an order: a carrier, a tracking number and the units it carries.

    The `wechat_sync_*` columns track the report to WeChat's shipping information for orders
    paid through WeChat Pay: `pending` until WeChat accepts it (`synced`), retried with growing
    pauses from `wechat_next_attempt_at`; `failed` once WeChat refused it for good or the
    attempts ran out. A worker claims an attempt by moving `wechat_next_attempt_at` forward in
    a conditional update, so two never send the same parcel at once.
    """

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    order_id: Mapped[int] = mapped_column(Int64, ForeignKey("orders.id", ondelete="CASCADE"))
    carrier_code: Mapped[str] = mapped_column(String(32))
    tracking_number: Mapped[str] = mapped_column(String(64))
    wechat_sync_status: Mapped[str] = mapped_column(String(16), default="not_required")
    wechat_sync_attempts: Mapped[int] = mapped_column(Integer, default=0)
    wechat_sync_error: Mapped[str | None] = mapped_column(Text)
    wechat_next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wechat_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(
        Int64, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list["ShipmentItem"]] = relationship(
        cascade="all, delete-orphan", order_by="ShipmentItem.id", lazy="raise"
    )

    __table_args__ = (
        UniqueConstraint(
            "order_id", "carrier_code", "tracking_number", name="uq_shipments_tracking"
        ),
        Index("ix_shipments_sync_due", "wechat_sync_status", "wechat_next_attempt_at"),
    )


class ShipmentItem(ShipmentItemContractFields, Base):
    """Units of one order line in a parcel."""

    __tablename__ = "shipment_items"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(Int64, ForeignKey("shipments.id", ondelete="CASCADE"))
    order_item_id: Mapped[int] = mapped_column(
        Int64, ForeignKey("order_items.id", ondelete="CASCADE")
    )
    variant_id: Mapped[int | None] = mapped_column(Int64, ForeignKey("product_variants.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_shipment_items_shipment_id", "shipment_id"),
    )
