"""commission: the channel tree, its rules, attributions and the append-only ledger.

The commission module's revisions are a branch of their own (`alembic upgrade heads` applies
every branch, `alembic downgrade commission@base` removes this module's tables and nothing
else). Its tables refer to the shop's users and orders, so it runs after the shop's
revisions that make them.

Revision ID: commission_0001
Revises:
Create Date: 2026-11-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "commission_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("commission",)
depends_on: str | Sequence[str] | None = "0005"

LEDGER = ("commission_journals", "commission_entries")
MESSAGE = "the commission ledger is append-only"
Int64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _append_only(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION commission_ledger_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION commission_ledger_append_only()",
        ]
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        ]
    return []


def upgrade() -> None:
    config = op.create_table(
        "commission_config",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_config")),
    )
    op.bulk_insert(config, [{"id": 1, "version": 0}])
    op.create_table(
        "commission_channels",
        sa.Column("id", Int64, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_id", Int64, nullable=True),
        sa.Column("user_id", Int64, nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "depth BETWEEN 1 AND 5", name=op.f("ck_commission_channels_depth_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["commission_channels.id"],
            name=op.f("fk_commission_channels_parent_id_commission_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_commission_channels_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_channels")),
        sa.UniqueConstraint("code", name=op.f("uq_commission_channels_code")),
    )
    op.create_index("ix_commission_channels_parent_id", "commission_channels", ["parent_id"])
    op.create_index("ix_commission_channels_user_id", "commission_channels", ["user_id"])
    op.create_table(
        "commission_rules",
        sa.Column("id", Int64, nullable=False),
        sa.Column("channel_id", Int64, nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("fixed_cents", sa.BigInteger(), nullable=False),
        sa.Column("cap_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", Int64, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level BETWEEN 0 AND 4", name=op.f("ck_commission_rules_level_in_range")
        ),
        sa.CheckConstraint(
            "rate_bp BETWEEN 0 AND 10000", name=op.f("ck_commission_rules_rate_in_range")
        ),
        sa.CheckConstraint("fixed_cents >= 0", name=op.f("ck_commission_rules_fixed_non_negative")),
        sa.CheckConstraint(
            "cap_cents IS NULL OR cap_cents >= 0", name=op.f("ck_commission_rules_cap_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["commission_channels.id"],
            name=op.f("fk_commission_rules_channel_id_commission_channels"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_rules")),
    )
    op.create_index(
        "ix_commission_rules_scope",
        "commission_rules",
        ["channel_id", "level", "currency", "version"],
    )
    op.create_table(
        "commission_attributions",
        sa.Column("order_id", Int64, autoincrement=False, nullable=False),
        sa.Column("channel_id", Int64, nullable=False),
        sa.Column("chain", sa.JSON(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=True),
        sa.Column("basis_cents", sa.BigInteger(), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("review_due", sa.Boolean(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["commission_channels.id"],
            name=op.f("fk_commission_attributions_channel_id_commission_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_commission_attributions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_commission_attributions")),
    )
    op.create_index(
        "ix_commission_attributions_state", "commission_attributions", ["state", "placed_at"]
    )
    op.create_index(
        "ix_commission_attributions_review", "commission_attributions", ["state", "review_due"]
    )
    op.create_index(
        "ix_commission_attributions_channel_id", "commission_attributions", ["channel_id"]
    )
    op.create_table(
        "commission_journals",
        sa.Column("id", Int64, nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_id", Int64, nullable=True),
        sa.Column("basis_cents", sa.BigInteger(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_by", Int64, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_journals")),
        sa.UniqueConstraint("key", name=op.f("uq_commission_journals_key")),
    )
    op.create_index("ix_commission_journals_order_id", "commission_journals", ["order_id"])
    op.create_table(
        "commission_entries",
        sa.Column("id", Int64, nullable=False),
        sa.Column("journal_id", Int64, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("side", sa.String(length=6), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel_id", Int64, nullable=True),
        sa.Column("order_id", Int64, nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("rule_id", Int64, nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_commission_entries_amount_positive")),
        sa.CheckConstraint(
            "side IN ('debit', 'credit')", name=op.f("ck_commission_entries_side_known")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["commission_channels.id"],
            name=op.f("fk_commission_entries_channel_id_commission_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"],
            ["commission_journals.id"],
            name=op.f("fk_commission_entries_journal_id_commission_journals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_entries")),
    )
    op.create_index(
        "ix_commission_entries_channel", "commission_entries", ["channel_id", "created_at", "id"]
    )
    op.create_index("ix_commission_entries_journal_id", "commission_entries", ["journal_id"])
    op.create_index("ix_commission_entries_order_id", "commission_entries", ["order_id"])
    op.create_index("ix_commission_entries_created_at", "commission_entries", ["created_at", "id"])
    dialect = op.get_bind().dialect.name
    for table in LEDGER:
        for statement in _append_only(table, dialect):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("commission_entries")
    op.drop_table("commission_journals")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS commission_ledger_append_only()")
    op.drop_table("commission_attributions")
    op.drop_table("commission_rules")
    op.drop_table("commission_channels")
    op.drop_table("commission_config")
