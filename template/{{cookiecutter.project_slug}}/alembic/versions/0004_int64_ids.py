"""Ids, the keys that point at them, and stock as 64-bit integers, as the contract's int64 says.

PostgreSQL's INTEGER stops at 2^31 - 1, so a valid id above it was an error instead of a 404.
SQLite's INTEGER is 64-bit already: nothing changes there.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id",),
    "refresh_tokens": ("user_id",),
    "products": ("id", "stock"),
    "orders": ("id", "user_id"),
    "order_items": ("id", "order_id", "product_id"),
    "idempotency_keys": ("id", "user_id"),
    "payments": ("id", "order_id"),
    "shopify_deliveries": ("id",),
    "shopify_variants": ("product_id",),
}


def _retype(to: sa.types.TypeEngine[int], sequence_type: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    inspector = sa.inspect(bind)
    for table, columns in COLUMNS.items():
        if not inspector.has_table(table):
            continue
        for column in columns:
            op.alter_column(table, column, type_=to)
        if "id" in columns:
            op.execute(f"ALTER SEQUENCE IF EXISTS {table}_id_seq AS {sequence_type}")


def upgrade() -> None:
    _retype(sa.BigInteger(), "bigint")


def downgrade() -> None:
    _retype(sa.Integer(), "integer")
