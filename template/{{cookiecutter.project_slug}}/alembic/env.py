"""Alembic migrations, async, against `DATABASE_URL` (from the environment or `.env`)."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from app.addresses import models as address_models  # noqa: F401 - registers the tables
from app.auth import models as auth_models  # noqa: F401 - registers the tables
from app.core.config import DatabaseSettings
from app.core.db import Base, create_engine
from app.fulfilment import models as fulfilment_models  # noqa: F401 - registers the tables
from app.modules import MODULES  # noqa: F401 - registers the modules' tables
from app.orders import models as order_models  # noqa: F401 - registers the tables
from app.payments import models as payment_models  # noqa: F401 - registers the tables
from app.products import models as product_models  # noqa: F401 - registers the tables
from app.refunds import models as refund_models  # noqa: F401 - registers the tables
{% if cookiecutter.shopify_sync %}
from app.webhooks import models as webhook_models  # noqa: F401 - registers the tables
{% endif %}

target_metadata = Base.metadata


def database_url() -> str:
    configured = context.config.get_main_option("sqlalchemy.url")
    return configured or DatabaseSettings().database_url


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations rebuild a SQLite table (copy, drop, rename); with foreign keys on,
        # dropping a parent would delete its children through ON DELETE CASCADE. They are
        # off while migrating (before any transaction, or the pragma does nothing) and
        # checked when done.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # so the migrations run in a transaction of their own
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left rows with dangling foreign keys: {broken}")


async def run_online() -> None:
    pooling = DatabaseSettings().database_transaction_pooling
    engine = create_engine(database_url(), transaction_pooling=pooling)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
