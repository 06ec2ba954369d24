from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, Int64, UTCDateTime, utcnow
from app.payments.contract_fields import PaymentContractFields

OPEN = text("status = 'pending'")


class Payment(PaymentContractFields, Base):
    """One attempt to pay an order through one channel; at most one is open (`pending`)
    per order and channel at a time. The fields the contract adds come from the generated
    `PaymentContractFields`.

    `out_trade_no` is what WeChat Pay knows the attempt by. A pending WeChat payment keeps
    its `prepay_id`, so asking again re-signs the same prepay order instead of opening a
    second one the customer could also pay.
    """

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    order_id: Mapped[int] = mapped_column(Int64, ForeignKey("orders.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    prepay_id: Mapped[str | None] = mapped_column(String(64))
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    refund_required: Mapped[bool] = mapped_column(default=False)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        Index("ix_payments_order_id", "order_id", "status"),
        Index(
            "uq_payments_open",
            "order_id",
            "channel",
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        ),
    )
