"""erp: the outbox, entity versions, and the ERP's pushed values.

The erp module's revisions are a branch of their own, rooted beside the shop's (its tables
refer to no other): `alembic upgrade heads` applies every branch, `alembic downgrade erp@base`
removes this module's tables and nothing else.

Revision ID: erp_0001
Revises:
Create Date: 2025-03-14 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "erp_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("erp",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sync_id", sa.String(length=96), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_outbox")),
        sa.UniqueConstraint("sync_id", name=op.f("uq_erp_outbox_sync_id")),
    )
    op.create_index("ix_erp_outbox_due", "erp_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_erp_outbox_entity", "erp_outbox", ["entity", "entity_id", "version"])
    op.create_table(
        "erp_entity_versions",
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity", "entity_id", name=op.f("pk_erp_entity_versions")),
    )
    op.create_table(
        "erp_inbound_state",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("last_modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "variant_id", name=op.f("pk_erp_inbound_state")),
    )
    op.create_table(
        "erp_inbound_receipts",
        sa.Column("sync_id", sa.String(length=128), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sync_id", name=op.f("pk_erp_inbound_receipts")),
    )


def downgrade() -> None:
    op.drop_table("erp_inbound_receipts")
    op.drop_table("erp_inbound_state")
    op.drop_table("erp_entity_versions")
    op.drop_table("erp_outbox")
