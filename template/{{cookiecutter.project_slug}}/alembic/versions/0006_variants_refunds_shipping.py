"""Variants, addresses, refunds and shipments; every existing product gets one variant.

The data migration: each product becomes a product with one variant carrying its sku, price
and stock (soft-deleted with it if it was deleted), and the stock column leaves the product;
each order line points at that variant. Orders that were `fulfilled` become `completed` with
every unit shipped; `refunded` ones count their whole total as refunded.
{% if cookiecutter.shopify_sync %}
Shopify variants mapped to a product map to its variant too.
{% endif %}

Redis stock keys are per variant from here on (`stock:{v<id>}`). Counts kept per product
before are left alone; the variants' are loaded from the database on first use. A
reservation of an order that was unpaid when this ran is not released in Redis on expiry or
cancellation (the database gets its stock back, as always); the upkeep job's reconciliation
brings Redis to the database's count within two rounds.

Revision ID: 0006
Revises: 0005
Create Date: 2025-03-15 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")
DEFAULT = sa.text("is_default")
# Ids, the keys that point at them, and counts are 64-bit, as in 0004 (SQLite's INTEGER is
# already, and its row ids must stay INTEGER).
INT64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# The option key of a variant without options, as the service computes it: sha256 of `[]`.
NO_OPTIONS_KEY = "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"


def upgrade() -> None:
    op.create_table(
        "product_variants",
        sa.Column("id", INT64, nullable=False),
        sa.Column("product_id", INT64, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("option_key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("stock", INT64, nullable=False),
        sa.Column("barcode", sa.String(length=64), nullable=True),
        sa.Column("weight_grams", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
{% for column in cookiecutter._shopgen.fields.product_variants.columns %}
        {{ column.migration_line }}
{% endfor %}
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_product_variants_price_non_negative")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_product_variants_stock_non_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_variants_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_variants")),
    )
    op.create_index(
        "uq_product_variants_sku_live",
        "product_variants",
        ["sku"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_index(
        "uq_product_variants_options_live",
        "product_variants",
        ["product_id", "option_key"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    # Every product sells as itself: one variant, no options.
    products = sa.table(
        "products",
        *(sa.column(name) for name in ("id", "sku", "price_cents", "currency", "stock")),
        *(sa.column(name) for name in ("created_at", "updated_at", "deleted_at")),
    )
    variants = sa.table(
        "product_variants",
        *(sa.column(name) for name in ("product_id", "sku", "options", "option_key", "title")),
        *(sa.column(name) for name in ("price_cents", "currency", "stock", "created_at")),
        *(sa.column(name) for name in ("updated_at", "deleted_at")),
    )
    op.execute(
        variants.insert().from_select(
            [c.name for c in variants.columns],
            sa.select(
                products.c.id,
                products.c.sku,
                sa.literal({}, sa.JSON()),
                sa.literal(NO_OPTIONS_KEY),
                sa.literal("Default"),
                products.c.price_cents,
                products.c.currency,
                products.c.stock,
                products.c.created_at,
                products.c.updated_at,
                products.c.deleted_at,
            ).order_by(products.c.id),
        )
    )
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("options", sa.JSON(), nullable=False, server_default="[]"))
        batch.drop_constraint(op.f("ck_products_stock_non_negative"), type_="check")
        batch.drop_column("stock")

    op.create_table(
        "addresses",
        sa.Column("id", INT64, nullable=False),
        sa.Column("user_id", INT64, nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("province", sa.String(length=32), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
{% for column in cookiecutter._shopgen.fields.addresses.columns %}
        {{ column.migration_line }}
{% endfor %}
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_addresses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_index("ix_addresses_user_id", "addresses", ["user_id", "created_at"])
    op.create_index(
        "uq_addresses_default",
        "addresses",
        ["user_id"],
        unique=True,
        sqlite_where=DEFAULT,
        postgresql_where=DEFAULT,
    )

    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("shipping_address", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column(
                "shipping_status", sa.String(length=24), nullable=False, server_default="unshipped"
            )
        )
        batch.add_column(
            sa.Column("refunded_cents", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(
            op.f("ck_orders_refunded_non_negative"), "refunded_cents >= 0"
        )
    with op.batch_alter_table("order_items") as batch:
        batch.add_column(sa.Column("variant_id", INT64, nullable=True))
        batch.add_column(
            sa.Column(
                "variant_title", sa.String(length=200), nullable=False, server_default="Default"
            )
        )
        batch.add_column(
            sa.Column("shipped_quantity", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("refunded_quantity", sa.Integer(), nullable=False, server_default="0")
        )
        batch.create_foreign_key(
            op.f("fk_order_items_variant_id_product_variants"),
            "product_variants",
            ["variant_id"],
            ["id"],
        )
        batch.create_check_constraint(
            op.f("ck_order_items_counts_non_negative"),
            "shipped_quantity >= 0 AND refunded_quantity >= 0",
        )
        batch.create_check_constraint(
            op.f("ck_order_items_refunds_within_quantity"), "refunded_quantity <= quantity"
        )
        batch.create_check_constraint(
            op.f("ck_order_items_shipments_within_quantity"), "shipped_quantity <= quantity"
        )
    op.execute(
        """
        UPDATE order_items SET variant_id = (
            SELECT min(v.id) FROM product_variants v WHERE v.product_id = order_items.product_id
        )
        """
    )
    op.execute(
        """
        UPDATE order_items SET shipped_quantity = quantity
        WHERE order_id IN (SELECT id FROM orders WHERE status = 'fulfilled')
        """
    )
    op.execute(
        """
        UPDATE orders SET status = 'completed', shipping_status = 'shipped',
               shipped_at = updated_at, completed_at = updated_at
        WHERE status = 'fulfilled'
        """
    )
    op.execute("UPDATE orders SET refunded_cents = total_cents WHERE status = 'refunded'")

    with op.batch_alter_table("payments") as batch:
        batch.add_column(
            sa.Column("refund_committed_cents", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.create_check_constraint(
            op.f("ck_payments_refunds_within_amount"),
            "refund_committed_cents >= 0 AND refund_committed_cents <= amount_cents",
        )

    op.create_table(
        "refunds",
        sa.Column("id", INT64, nullable=False),
        sa.Column("order_id", INT64, nullable=False),
        sa.Column("payment_id", INT64, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("out_refund_no", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("restock", sa.Boolean(), nullable=False),
        sa.Column("of_order", sa.Boolean(), nullable=False),
        sa.Column("submitted", sa.Boolean(), nullable=False),
        sa.Column("channel_refund_id", sa.String(length=64), nullable=True),
        sa.Column("channel_status", sa.String(length=32), nullable=True),
        sa.Column("created_by", INT64, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True),
{% for column in cookiecutter._shopgen.fields.refunds.columns %}
        {{ column.migration_line }}
{% endfor %}
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_refunds_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_refunds_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("out_refund_no", name=op.f("uq_refunds_out_refund_no")),
    )
    op.create_index("ix_refunds_order_id", "refunds", ["order_id", "created_at"])
    op.create_index("ix_refunds_status", "refunds", ["status", "created_at"])
    op.create_table(
        "refund_items",
        sa.Column("id", INT64, nullable=False),
        sa.Column("refund_id", INT64, nullable=False),
        sa.Column("order_item_id", INT64, nullable=False),
        sa.Column("variant_id", INT64, nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
{% for column in cookiecutter._shopgen.fields.refund_items.columns %}
        {{ column.migration_line }}
{% endfor %}
        sa.CheckConstraint("quantity > 0", name=op.f("ck_refund_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["refunds.id"],
            name=op.f("fk_refund_items_refund_id_refunds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_refund_items_order_item_id_order_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["product_variants.id"],
            name=op.f("fk_refund_items_variant_id_product_variants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_items")),
    )
    op.create_index("ix_refund_items_refund_id", "refund_items", ["refund_id"])

    op.create_table(
        "shipments",
        sa.Column("id", INT64, nullable=False),
        sa.Column("order_id", INT64, nullable=False),
        sa.Column("carrier_code", sa.String(length=32), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("wechat_sync_status", sa.String(length=16), nullable=False),
        sa.Column("wechat_sync_attempts", sa.Integer(), nullable=False),
        sa.Column("wechat_sync_error", sa.Text(), nullable=True),
        sa.Column("wechat_next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wechat_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", INT64, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
{% for column in cookiecutter._shopgen.fields.shipments.columns %}
        {{ column.migration_line }}
{% endfor %}
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_shipments_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint(
            "order_id", "carrier_code", "tracking_number", name="uq_shipments_tracking"
        ),
    )
    op.create_index(
        "ix_shipments_sync_due", "shipments", ["wechat_sync_status", "wechat_next_attempt_at"]
    )
    op.create_table(
        "shipment_items",
        sa.Column("id", INT64, nullable=False),
        sa.Column("shipment_id", INT64, nullable=False),
        sa.Column("order_item_id", INT64, nullable=False),
        sa.Column("variant_id", INT64, nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
{% for column in cookiecutter._shopgen.fields.shipment_items.columns %}
        {{ column.migration_line }}
{% endfor %}
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_items_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_shipment_items_order_item_id_order_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["product_variants.id"],
            name=op.f("fk_shipment_items_variant_id_product_variants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_items")),
    )
    op.create_index("ix_shipment_items_shipment_id", "shipment_items", ["shipment_id"])
{% if cookiecutter.shopify_sync %}

    with op.batch_alter_table("shopify_variants") as batch:
        batch.add_column(sa.Column("product_variant_id", INT64, nullable=True))
        batch.create_foreign_key(
            op.f("fk_shopify_variants_product_variant_id_product_variants"),
            "product_variants",
            ["product_variant_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        """
        UPDATE shopify_variants SET product_variant_id = (
            SELECT min(v.id) FROM product_variants v
            WHERE v.product_id = shopify_variants.product_id
        )
        WHERE product_id IS NOT NULL
        """
    )
{% endif %}


def downgrade() -> None:
    """Back to one count per product: each product takes the stock of its variants."""
{% if cookiecutter.shopify_sync %}
    with op.batch_alter_table("shopify_variants") as batch:
        batch.drop_constraint(
            op.f("fk_shopify_variants_product_variant_id_product_variants"), type_="foreignkey"
        )
        batch.drop_column("product_variant_id")
{% endif %}
    op.drop_table("shipment_items")
    op.drop_table("shipments")
    op.drop_table("refund_items")
    op.drop_table("refunds")
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint(op.f("ck_payments_refunds_within_amount"), type_="check")
        batch.drop_column("refund_committed_cents")
    op.execute(
        """
        UPDATE orders SET status = 'fulfilled'
        WHERE status IN ('partially_shipped', 'shipped', 'completed')
        """
    )
    op.execute("UPDATE orders SET status = 'paid' WHERE status = 'partially_refunded'")
    with op.batch_alter_table("order_items") as batch:
        batch.drop_constraint(op.f("ck_order_items_shipments_within_quantity"), type_="check")
        batch.drop_constraint(op.f("ck_order_items_refunds_within_quantity"), type_="check")
        batch.drop_constraint(op.f("ck_order_items_counts_non_negative"), type_="check")
        batch.drop_constraint(
            op.f("fk_order_items_variant_id_product_variants"), type_="foreignkey"
        )
        batch.drop_column("refunded_quantity")
        batch.drop_column("shipped_quantity")
        batch.drop_column("variant_title")
        batch.drop_column("variant_id")
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint(op.f("ck_orders_refunded_non_negative"), type_="check")
        batch.drop_column("completed_at")
        batch.drop_column("shipped_at")
        batch.drop_column("refunded_cents")
        batch.drop_column("shipping_status")
        batch.drop_column("shipping_address")
    op.drop_table("addresses")
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("stock", INT64, nullable=False, server_default="0"))
        batch.create_check_constraint(op.f("ck_products_stock_non_negative"), "stock >= 0")
        batch.drop_column("options")
    op.execute(
        """
        UPDATE products SET stock = (
            SELECT coalesce(sum(v.stock), 0) FROM product_variants v
            WHERE v.product_id = products.id AND v.deleted_at IS NULL
        )
        """
    )
    op.drop_table("product_variants")
