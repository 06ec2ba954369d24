from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, Int64, UTCDateTime, utcnow
from app.orders.contract_fields import OrderContractFields
from app.orders.item_contract_fields import OrderItemContractFields
from app.orders.state import OrderStatus, ShippingStatus

if TYPE_CHECKING:
    from app.fulfilment.models import Shipment
    from app.payments.models import Payment
    from app.refunds.models import Refund


class Order(OrderContractFields, Base):
    """An order placed through the API (`source` "api") or mirrored from Shopify. The fields
    the contract adds come from the generated `OrderContractFields`.

    `reservation` names the order's stock reservation in the stock backend; it is chosen
    before the row exists, so stock is held before the database is asked to write.
    `shipping_address` is a copy of the customer's address when the order was placed, so a
    later edit of the address changes nothing here. `refunded_cents` counts succeeded refunds
    of the payment that paid the order; `shipping_status` follows its lines' shipped units.
    """

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(Int64, ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(24), default=OrderStatus.PENDING_PAYMENT)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(16), default="api")
    external_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    reservation: Mapped[str | None] = mapped_column(String(32))
    cancel_reason: Mapped[str | None] = mapped_column(String(32))
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    shipping_status: Mapped[str] = mapped_column(String(24), default=ShippingStatus.UNSHIPPED)
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        order_by="OrderItem.id",
        lazy="raise",
    )
    # What happened to the order, read with it by getOrder; written by their own services.
    payments: Mapped[list["Payment"]] = relationship(
        viewonly=True, order_by="Payment.id", lazy="raise"
    )
    refunds: Mapped[list["Refund"]] = relationship(
        viewonly=True, order_by="Refund.id", lazy="raise"
    )
    shipments: Mapped[list["Shipment"]] = relationship(
        viewonly=True, order_by="Shipment.id", lazy="raise"
    )

    __table_args__ = (
        CheckConstraint("total_cents >= 0", name="total_non_negative"),
        CheckConstraint("refunded_cents >= 0", name="refunded_non_negative"),
        UniqueConstraint("source", "external_id", name="uq_orders_source_external_id"),
        Index("ix_orders_user_listing", "user_id", "created_at", "id"),
        Index("ix_orders_listing", "created_at", "id"),
        Index("ix_orders_due", "status", "expires_at"),
    )


class OrderItem(OrderItemContractFields, Base):
    """One line, copied from the variant and its product when the order was placed. The
    fields the contract adds come from the generated `OrderItemContractFields`.

    `shipped_quantity` and `refunded_quantity` only grow through conditional updates that
    keep their sum within `quantity` (a closed refund gives its units back the same way), so
    two parcels or two refunds at once cannot take the same unit. A refund takes unshipped
    units first: what is left to ship is `quantity - shipped - refunded`.
    """

    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    order_id: Mapped[int] = mapped_column(Int64, ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(Int64, ForeignKey("products.id"))
    variant_id: Mapped[int | None] = mapped_column(Int64, ForeignKey("product_variants.id"))
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    variant_title: Mapped[str] = mapped_column(String(200), default="Default")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    line_total_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    shipped_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="items", lazy="raise")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "shipped_quantity >= 0 AND refunded_quantity >= 0", name="counts_non_negative"
        ),
        CheckConstraint("refunded_quantity <= quantity", name="refunds_within_quantity"),
        CheckConstraint("shipped_quantity <= quantity", name="shipments_within_quantity"),
        Index("ix_order_items_order_id", "order_id"),
    )

    @property
    def unshipped(self) -> int:
        """Units still to ship: neither shipped nor refunded."""
        return max(self.quantity - self.shipped_quantity - self.refunded_quantity, 0)


class IdempotencyRecord(Base):
    """The first answer to a request carrying an `Idempotency-Key`, per user.

    `status_code` is null while that request runs. `fingerprint` is the SHA-256 of its method,
    path and canonical JSON body: the same key with another body is refused.
    """

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    user_id: Mapped[int] = mapped_column(Int64, ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_id_key"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )
