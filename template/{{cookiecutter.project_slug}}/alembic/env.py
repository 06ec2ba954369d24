"""Alembic migrations, async, against `DATABASE_URL` (from the environment or `.env`)."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from app.auth import models as auth_models  # noqa: F401 - registers the tables
from app.core.config import DatabaseSettings
from app.core.db import Base, create_engine
from app.orders import models as order_models  # noqa: F401 - registers the tables
from app.payments import models as payment_models  # noqa: F401 - registers the tables
from app.products import models as product_models  # noqa: F401 - registers the tables
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
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_engine(database_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
