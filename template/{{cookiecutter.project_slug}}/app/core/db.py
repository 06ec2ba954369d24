"""The database: one engine per app, a session per request."""

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from app.core.changes import ChangeListener, OrderPlacedListener, session_info

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The contract's ids and counts are int64: BIGINT on PostgreSQL, whose INTEGER stops at 2^31,
# and INTEGER on SQLite, which is 64-bit already and the only type a rowid key may have.
Int64 = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database; SQLite alone would hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime; use an aware UTC datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(
    database_url: str,
    *,
    transaction_pooling: bool = False,
    pool_size: int = 20,
    pool_timeout: float = 30.0,
) -> AsyncEngine:
    """The app's engine. PostgreSQL connections are not pinged before each use (two round
    trips a transaction): a connection the server dropped fails its request with 503, and
    the pool then replaces every connection opened before the failure."""
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, object] = {}
    if transaction_pooling:
        # No statement caches, asyncpg's or SQLAlchemy's: every statement is then prepared
        # unnamed, inside the transaction that runs it, so none is looked for on a server
        # connection the pooler has since handed to someone else.
        connect_args = {"statement_cache_size": 0, "prepared_statement_cache_size": 0}
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        connect_args=connect_args,
    )


def create_sessionmaker(
    engine: AsyncEngine,
    listeners: Iterable[ChangeListener] = (),
    placed: Iterable[OrderPlacedListener] = (),
) -> async_sessionmaker[AsyncSession]:
    """Sessions that tell `listeners` about the changes core services record, and `placed`
    about the orders placed (see `app.core.changes`)."""
    return async_sessionmaker(engine, expire_on_commit=False, info=session_info(listeners, placed))


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
