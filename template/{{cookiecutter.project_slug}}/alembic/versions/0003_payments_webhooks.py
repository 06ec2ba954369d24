"""Payments{% if cookiecutter.shopify_sync %}, Shopify deliveries and the Shopify variant map{% endif %}.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("out_trade_no", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("prepay_id", sa.String(length=64), nullable=True),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("refund_required", sa.Boolean(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
{% for column in cookiecutter._shopgen.fields.payments.columns %}
        {{ column.migration_line }}
{% endfor %}
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_payments_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_payments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("out_trade_no", name=op.f("uq_payments_out_trade_no")),
    )
    op.create_index("ix_payments_order_id", "payments", ["order_id", "status"])
{% if cookiecutter.shopify_sync %}
    op.create_table(
        "shopify_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("api_version", sa.String(length=16), nullable=True),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
{% for column in cookiecutter._shopgen.fields.shopify_deliveries.columns %}
        {{ column.migration_line }}
{% endfor %}
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopify_deliveries")),
        sa.UniqueConstraint("shop", "topic", "dedup_key", name=op.f("uq_shopify_deliveries_event")),
    )
    op.create_index("ix_shopify_deliveries_status", "shopify_deliveries", ["status", "received_at"])
    op.create_table(
        "shopify_variants",
        sa.Column("variant_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("shopify_product_id", sa.BigInteger(), nullable=False),
        sa.Column("inventory_item_id", sa.BigInteger(), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_shopify_variants_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("variant_id", name=op.f("pk_shopify_variants")),
    )
    op.create_index(
        op.f("ix_shopify_variants_inventory_item_id"), "shopify_variants", ["inventory_item_id"]
    )
{% endif %}


def downgrade() -> None:
{% if cookiecutter.shopify_sync %}
    op.drop_table("shopify_variants")
    op.drop_table("shopify_deliveries")
{% endif %}
    op.drop_table("payments")
