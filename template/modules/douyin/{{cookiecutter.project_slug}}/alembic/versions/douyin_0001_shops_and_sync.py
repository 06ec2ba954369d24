"""douyin: connected shops, sync cursors, mirrored orders and skus, push messages.

The douyin module's revisions are a branch of their own, rooted beside the shop's and
depending on the revision that made `product_variants`: `alembic upgrade heads` applies
every branch, `alembic downgrade douyin@base` removes this module's tables and nothing else.

Revision ID: douyin_0001
Revises:
Depends on: 0006
Create Date: 2025-03-14 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "douyin_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("douyin",)
depends_on: str | Sequence[str] | None = "0006"


def upgrade() -> None:
    op.create_table(
        "douyin_shops",
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("shop_name", sa.String(length=255), nullable=True),
        sa.Column("authority_id", sa.String(length=64), nullable=True),
        sa.Column("grant_type", sa.String(length=32), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("refresh_failures", sa.Integer(), nullable=False),
        sa.Column("next_refresh_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_douyin_shops")),
    )
    op.create_table(
        "douyin_sync_cursors",
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("resource", sa.String(length=16), nullable=False),
        sa.Column("synced_through", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("items_seen", sa.Integer(), nullable=False),
        sa.Column("items_changed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["douyin_shops.shop_id"],
            name=op.f("fk_douyin_sync_cursors_shop_id_douyin_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shop_id", "resource", name=op.f("pk_douyin_sync_cursors")),
    )
    op.create_table(
        "douyin_orders",
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column(
            "local_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("douyin_status", sa.Integer(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stock_state", sa.String(length=16), nullable=False),
        sa.Column("taken", sa.JSON(), nullable=False),
        sa.Column("unmatched_lines", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["local_order_id"],
            ["orders.id"],
            name=op.f("fk_douyin_orders_local_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_douyin_orders")),
    )
    op.create_index("ix_douyin_orders_shop_id", "douyin_orders", ["shop_id", "update_time"])
    op.create_table(
        "douyin_skus",
        sa.Column("sku_id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column(
            "local_variant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["local_variant_id"],
            ["product_variants.id"],
            name=op.f("fk_douyin_skus_local_variant_id_product_variants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("sku_id", name=op.f("pk_douyin_skus")),
    )
    op.create_table(
        "douyin_push_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_key", sa.String(length=64), nullable=False),
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("tag", sa.String(length=16), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=True),
        sa.Column("order_id", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_douyin_push_messages")),
        sa.UniqueConstraint("app_key", "msg_id", name=op.f("uq_douyin_push_messages_msg")),
    )
    op.create_index(
        "ix_douyin_push_messages_status", "douyin_push_messages", ["status", "received_at"]
    )


def downgrade() -> None:
    op.drop_table("douyin_push_messages")
    op.drop_table("douyin_skus")
    op.drop_table("douyin_orders")
    op.drop_table("douyin_sync_cursors")
    op.drop_table("douyin_shops")
