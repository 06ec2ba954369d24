"""One open payment per order and channel.
{% if cookiecutter.shopify_sync %}

Shopify deliveries are deduplicated by body digest too, and inventory levels are applied
newest first.
{% endif %}

Revision ID: 0005
Revises: 0004
Create Date: 2025-01-05 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'pending'")


def upgrade() -> None:
    # Payments opened twice before the index existed: keep the newest open one of each pair.
    op.execute(
        "UPDATE payments SET status = 'failed' WHERE status = 'pending' AND id NOT IN ("
        "SELECT max(id) FROM payments WHERE status = 'pending' GROUP BY order_id, channel)"
    )
    op.create_index(
        "uq_payments_open",
        "payments",
        ["order_id", "channel"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
{% if cookiecutter.shopify_sync %}
    with op.batch_alter_table("shopify_deliveries") as batch:
        batch.add_column(sa.Column("body_sha256", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_shopify_deliveries_body",
        "shopify_deliveries",
        ["shop", "topic", "body_sha256"],
        unique=True,
    )
    with op.batch_alter_table("shopify_variants") as batch:
        batch.add_column(
            sa.Column("inventory_updated_at", sa.DateTime(timezone=True), nullable=True)
        )
{% endif %}


def downgrade() -> None:
{% if cookiecutter.shopify_sync %}
    with op.batch_alter_table("shopify_variants") as batch:
        batch.drop_column("inventory_updated_at")
    op.drop_index("uq_shopify_deliveries_body", table_name="shopify_deliveries")
    with op.batch_alter_table("shopify_deliveries") as batch:
        batch.drop_column("body_sha256")
{% endif %}
    op.drop_index("uq_payments_open", table_name="payments")
