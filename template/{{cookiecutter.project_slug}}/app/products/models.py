from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, Int64, UTCDateTime, utcnow
from app.products.contract_fields import ProductContractFields
from app.products.variant_contract_fields import ProductVariantContractFields

LIVE = text("deleted_at IS NULL")
DEFAULT_TITLE = "Default"


class Product(ProductContractFields, Base):
    """A product, sold through its variants (at least one live one). Deletion is soft
    (`deleted_at`): orders and Shopify mappings keep pointing at the row, while reads treat it
    as gone and its sku becomes free again. The fields the contract adds (`brand`, say) come
    from the generated `ProductContractFields`.

    `price_cents` is the lowest live variant price, kept by the service whenever a variant
    changes, so the catalogue sorts and filters by price without a join. `stock` is the sum of
    the live variants' counts, read from them: each variant's count is the truth.
    """

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    category: Mapped[str | None] = mapped_column(String(100))
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"name": "颜色", "values": ["白", "黑"]}, ...]: at most three, in display order.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    variants: Mapped[list["ProductVariant"]] = relationship(
        primaryjoin=lambda: and_(
            ProductVariant.product_id == Product.id, ProductVariant.deleted_at.is_(None)
        ),
        order_by=lambda: ProductVariant.id,
        viewonly=True,
        lazy="raise",
    )

    __table_args__ = (
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

    @property
    def stock(self) -> int:
        return sum(variant.stock for variant in self.variants)


class ProductVariant(ProductVariantContractFields, Base):
    """One thing a customer can buy: a product in one combination of its option values, with
    its own sku, price and stock. A product without options has exactly one, titled
    "Default". Deletion is soft, like products: order lines keep pointing at the row. The
    fields the contract adds come from the generated `ProductVariantContractFields`.

    `option_key` is a digest of the option values, unique among a product's live variants, so
    two concurrent requests cannot both add "白 / M". `currency` is always the product's, kept
    here so a variant answers for itself.
    """

    __tablename__ = "product_variants"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    product_id: Mapped[int] = mapped_column(Int64, ForeignKey("products.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    option_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), default=DEFAULT_TITLE)
    price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Int64, default=0)
    barcode: Mapped[str | None] = mapped_column(String(64))
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        Index(
            "uq_product_variants_sku_live",
            "sku",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        Index(
            "uq_product_variants_options_live",
            "product_id",
            "option_key",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
    )
