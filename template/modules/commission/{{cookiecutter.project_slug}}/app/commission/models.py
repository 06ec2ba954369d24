"""The commission module's tables: the channel tree and its rules (the configuration, with
one version number for all of it), which orders were sold through which channel, and the
ledger.

The ledger (`commission_journals`, `commission_entries`) is append-only: the service only
inserts, and the database refuses an update or a delete of either table (a trigger, created
with the tables here and in the migration).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    event,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, Int64, UTCDateTime, utcnow

APPEND_ONLY_TABLES = ("commission_journals", "commission_entries")
APPEND_ONLY_MESSAGE = "the commission ledger is append-only"


class CommissionConfig(Base):
    """One row: the version of the channels and rules together. Every change of either bumps
    it in its own transaction, which also makes such changes take turns."""

    __tablename__ = "commission_config"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class CommissionChannel(Base):
    """A talent, a sub-agent or an agency: a node of the tree, `depth` 1 at a root."""

    __tablename__ = "commission_channels"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(Int64, ForeignKey("commission_channels.id"))
    user_id: Mapped[int | None] = mapped_column(Int64, ForeignKey("users.id", ondelete="SET NULL"))
    depth: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("depth BETWEEN 1 AND 5", name="depth_in_range"),
        Index("ix_commission_channels_parent_id", "parent_id"),
        Index("ix_commission_channels_user_id", "user_id"),
    )


class CommissionRule(Base):
    """One version of the rule of a channel (or, with no channel, of every channel) at a
    level, for orders in one currency. Rules are never changed: a new version replaces."""

    __tablename__ = "commission_rules"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    channel_id: Mapped[int | None] = mapped_column(Int64, ForeignKey("commission_channels.id"))
    level: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    rate_bp: Mapped[int] = mapped_column(Integer)
    fixed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    cap_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(Int64)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 4", name="level_in_range"),
        CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_in_range"),
        CheckConstraint("fixed_cents >= 0", name="fixed_non_negative"),
        CheckConstraint("cap_cents IS NULL OR cap_cents >= 0", name="cap_non_negative"),
        Index("ix_commission_rules_scope", "channel_id", "level", "currency", "version"),
    )


class CommissionAttribution(Base):
    """An order sold through a channel, and where its settlement stands.

    `chain` is the channel and its ancestors when the order was placed, seller first: a
    later move in the tree does not change who earns on it. `state`: open → settled (the
    shares are posted; `rules` holds each beneficiary's rule, `basis_cents` the net amount
    posted on) or void (nothing to pay: cancelled, refunded in full, or no rule gave any).
    `changes` counts the order's changes (the change listener); `review_due` says some came
    after the last look, which a refund adjustment then takes.
    """

    __tablename__ = "commission_attributions"

    order_id: Mapped[int] = mapped_column(
        Int64, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    channel_id: Mapped[int] = mapped_column(Int64, ForeignKey("commission_channels.id"))
    chain: Mapped[list[int]] = mapped_column(JSON)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="open")
    rules: Mapped[list[list[int | None]] | None] = mapped_column(JSON)
    basis_cents: Mapped[int | None] = mapped_column(BigInteger)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    review_due: Mapped[bool] = mapped_column(Boolean, default=False)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_commission_attributions_state", "state", "placed_at"),
        Index("ix_commission_attributions_review", "state", "review_due"),
        Index("ix_commission_attributions_channel_id", "channel_id"),
    )


class CommissionJournal(Base):
    """Entries posted together; `key` (`settlement:<order>`, `payout:<reference>`, ...) is
    unique, so a journal is posted once however many workers try."""

    __tablename__ = "commission_journals"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    key: Mapped[str] = mapped_column(String(96), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
    order_id: Mapped[int | None] = mapped_column(Int64)
    basis_cents: Mapped[int | None] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(Int64)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_commission_journals_order_id", "order_id"),)


class CommissionEntry(Base):
    """One side of a journal: a debit or a credit of a positive amount to the shop, a channel
    or `payouts`."""

    __tablename__ = "commission_entries"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    journal_id: Mapped[int] = mapped_column(Int64, ForeignKey("commission_journals.id"))
    kind: Mapped[str] = mapped_column(String(24))
    account: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(6))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    channel_id: Mapped[int | None] = mapped_column(Int64, ForeignKey("commission_channels.id"))
    order_id: Mapped[int | None] = mapped_column(Int64)
    level: Mapped[int | None] = mapped_column(Integer)
    rule_id: Mapped[int | None] = mapped_column(Int64)
    rule_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("side IN ('debit', 'credit')", name="side_known"),
        Index("ix_commission_entries_channel", "channel_id", "created_at", "id"),
        Index("ix_commission_entries_journal_id", "journal_id"),
        Index("ix_commission_entries_order_id", "order_id"),
        Index("ix_commission_entries_created_at", "created_at", "id"),
    )


def append_only_ddl(table: str, dialect: str) -> list[str]:
    """The statements that make `table` refuse updates and deletes (the migration runs the
    same)."""
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION commission_ledger_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION commission_ledger_append_only()",
        ]
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
        ]
    return []


def _run_after_create(statements: dict[str, list[str]]) -> Callable[..., None]:
    def run(target: Table, connection: Connection, **_: Any) -> None:
        for statement in statements.get(connection.dialect.name, ()):
            connection.exec_driver_sql(statement)

    return run


for _model in (CommissionJournal, CommissionEntry):
    _table = _model.__table__
    assert isinstance(_table, Table)
    ddl = {dialect: append_only_ddl(_table.name, dialect) for dialect in ("postgresql", "sqlite")}
    event.listen(_table, "after_create", _run_after_create(ddl))
# The configuration's one row, from the start (the migration inserts it too).
_config_row = ["INSERT INTO commission_config (id, version) VALUES (1, 0)"]
event.listen(
    CommissionConfig.__table__,
    "after_create",
    _run_after_create({"postgresql": _config_row, "sqlite": _config_row}),
)
