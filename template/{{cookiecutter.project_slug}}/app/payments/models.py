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
    second one the customer could also pay. `refund_committed_cents` is what its pending and
    succeeded refunds give back; a conditional update keeps it within `amount_cents`.
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
    refund_committed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        CheckConstraint(
            "refund_committed_cents >= 0 AND refund_committed_cents <= amount_cents",
            name="refunds_within_amount",
        ),
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

    @property
    def wechat_params(self) -> None:
        """Read as part of an order: `getPayment` signs fresh `wx.requestPayment` arguments."""
        return None
