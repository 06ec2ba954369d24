from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, Int64, UTCDateTime, utcnow
from app.products.contract_fields import ProductContractFields

LIVE = text("deleted_at IS NULL")


class Product(ProductContractFields, Base):
    """A product. Deletion is soft (`deleted_at`): orders and Shopify mappings keep pointing
    at the row, while reads treat it as gone and its sku becomes free again. The fields the
    contract adds (`brand`, say) come from the generated `ProductContractFields`."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Int64, default=0)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    category: Mapped[str | None] = mapped_column(String(100))
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        Index(
            "uq_products_sku_live",
            "sku",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        Index("ix_products_listing", "status", "created_at", "id"),
    )
