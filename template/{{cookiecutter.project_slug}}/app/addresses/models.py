from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.addresses.contract_fields import AddressContractFields
from app.core.db import Base, Int64, UTCDateTime, utcnow

DEFAULT = text("is_default")

# What an order keeps of an address: everything but its own bookkeeping.
SHIPPING_FIELDS = ("recipient", "phone", "province", "city", "district", "detail", "postal_code")


class Address(AddressContractFields, Base):
    """A shipping address of a user. At most one per user is the default, which the partial
    unique index holds even against two requests at once. The fields the contract adds come
    from the generated `AddressContractFields`."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    user_id: Mapped[int] = mapped_column(Int64, ForeignKey("users.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
    district: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_addresses_user_id", "user_id", "created_at"),
        Index(
            "uq_addresses_default",
            "user_id",
            unique=True,
            sqlite_where=DEFAULT,
            postgresql_where=DEFAULT,
        ),
    )

    def shipping_copy(self) -> dict[str, Any]:
        """The address as an order keeps it."""
        return {name: getattr(self, name) for name in SHIPPING_FIELDS}
