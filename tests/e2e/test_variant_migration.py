"""Migrations on a database full of a shop made before variants (revision 0003, upgraded
to head): every product gets one variant carrying its sku, price and stock, and nothing else
is lost - on SQLite (whose tables 0006 rebuilds) and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from .conftest import POSTGRES_ENV, project_env, run

WHEN = "'2025-01-01 08:00:00.000000'"
# A shop at revision 0003: three products (one deleted), a customer, orders in the old
# statuses (`fulfilled` among them), their lines and payments, and a Shopify variant map.
SHOP = [
    "INSERT INTO users (id, email, role, display_name, created_at) "
    f"VALUES (1, 'li.wei@example.com', 'customer', '李伟', {WHEN})",
    "INSERT INTO products (id, sku, title, description, price_cents, currency, stock, status,"
    " category, images, created_at, updated_at, deleted_at) VALUES"
    f" (1, 'TEA-LJ-250', '西湖龙井', '', 16800, 'CNY', 120, 'active', 'tea', '[]',"
    f" {WHEN}, {WHEN}, NULL),"
    f" (2, 'CUP-1', '白瓷杯', '', 3000, 'CNY', 0, 'active', NULL, '[]', {WHEN}, {WHEN}, NULL),"
    f" (3, 'OLD-1', '停售', '', 100, 'CNY', 7, 'archived', NULL, '[]', {WHEN}, {WHEN}, {WHEN})",
    "INSERT INTO orders (id, user_id, status, total_cents, currency, source, created_at,"
    " updated_at) VALUES"
    f" (10, 1, 'fulfilled', 36600, 'CNY', 'api', {WHEN}, {WHEN}),"
    f" (11, 1, 'refunded', 3000, 'CNY', 'api', {WHEN}, {WHEN}),"
    f" (12, 1, 'pending_payment', 16800, 'CNY', 'api', {WHEN}, {WHEN})",
    "INSERT INTO order_items (id, order_id, product_id, sku, title, quantity, unit_price_cents,"
    " line_total_cents, currency) VALUES"
    " (100, 10, 1, 'TEA-LJ-250', '西湖龙井', 2, 16800, 33600, 'CNY'),"
    " (101, 10, 2, 'CUP-1', '白瓷杯', 1, 3000, 3000, 'CNY'),"
    " (102, 11, 2, 'CUP-1', '白瓷杯', 1, 3000, 3000, 'CNY'),"
    " (103, 12, 1, 'TEA-LJ-250', '西湖龙井', 1, 16800, 16800, 'CNY')",
    "INSERT INTO payments (id, order_id, channel, out_trade_no, status, amount_cents, currency,"
    " refund_required, created_at, updated_at) VALUES"
    f" (1000, 10, 'mock', 'SG10T1', 'succeeded', 36600, 'CNY', false, {WHEN}, {WHEN})",
    "INSERT INTO shopify_variants (variant_id, shop, shopify_product_id, sku, product_id,"
    " updated_at) VALUES (46728195330227, 'emma.myshopify.com', 8872350015923, 'TEA-LJ-250',"
    f" 1, {WHEN})",
]


class Database:
    """SQL on the migrated database, SQLite or PostgreSQL alike."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)

    def execute(self, statements: Sequence[str]) -> None:
        if self.url.get_backend_name() == "sqlite":
            with sqlite3.connect(str(self.url.database)) as connection:
                for sql in statements:
                    connection.execute(sql)
            return

        async def go() -> None:
            connection = await asyncpg.connect(_dsn(self.url))
            try:
                for sql in statements:
                    await connection.execute(sql)
            finally:
                await connection.close()

        asyncio.run(go())

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url.get_backend_name() == "sqlite":
            with sqlite3.connect(str(self.url.database)) as connection:
                return [tuple(row) for row in connection.execute(sql)]

        async def go() -> list[tuple[Any, ...]]:
            connection = await asyncpg.connect(_dsn(self.url))
            try:
                return [tuple(row) for row in await connection.fetch(sql)]
            finally:
                await connection.close()

        return asyncio.run(go())

    def columns(self, table: str) -> set[str]:
        if self.url.get_backend_name() == "sqlite":
            return {row[1] for row in self.rows(f"PRAGMA table_info({table})")}
        sql = f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'"
        return {row[0] for row in self.rows(sql)}


def _dsn(url: Any) -> str:
    return str(url.set(drivername="postgresql").render_as_string(hide_password=False))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
        return
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"set {POSTGRES_ENV} to a PostgreSQL database URL")
    given = make_url(os.environ[POSTGRES_ENV])
    name = f"{given.database}_migration"
    admin = Database(str(given))
    admin.execute([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'])
    yield given.set(database=name).render_as_string(hide_password=False)
    admin.execute([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


def _alembic(project: Path, url: str, *args: str) -> str:
    result = run([sys.executable, "-m", "alembic", *args], project, project_env(DATABASE_URL=url))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_every_product_gets_one_variant_and_nothing_is_lost(
    shopify_project: Path, database_url: str
) -> None:
    db = Database(database_url)
    _alembic(shopify_project, database_url, "upgrade", "0003")
    db.execute(SHOP)
    _alembic(shopify_project, database_url, "upgrade", "head")

    variants = db.rows(
        "SELECT product_id, sku, options, title, price_cents, currency, stock,"
        " deleted_at IS NULL FROM product_variants ORDER BY product_id"
    )
    assert [(v[0], v[1], v[3], v[4], v[5], v[6], bool(v[7])) for v in variants] == [
        (1, "TEA-LJ-250", "Default", 16800, "CNY", 120, True),
        (2, "CUP-1", "Default", 3000, "CNY", 0, True),
        (3, "OLD-1", "Default", 100, "CNY", 7, False),
    ]
    assert {str(v[2]).replace(" ", "") for v in variants} == {"{}"}
    assert "stock" not in db.columns("products")
    assert db.rows("SELECT id, price_cents, options FROM products ORDER BY id")[0][:2] == (1, 16800)
    variant_of = {row[0]: row[1] for row in db.rows("SELECT product_id, id FROM product_variants")}

    # Nothing a rebuilt parent table could have cascaded into is gone.
    assert db.rows("SELECT count(*) FROM order_items") == [(4,)]
    assert db.rows("SELECT count(*) FROM payments") == [(1,)]
    lines = db.rows(
        "SELECT id, variant_id, variant_title, shipped_quantity, refunded_quantity"
        " FROM order_items ORDER BY id"
    )
    assert lines == [
        (100, variant_of[1], "Default", 2, 0),
        (101, variant_of[2], "Default", 1, 0),
        (102, variant_of[2], "Default", 0, 0),
        (103, variant_of[1], "Default", 0, 0),
    ]
    orders = db.rows(
        "SELECT id, status, shipping_status, refunded_cents, completed_at IS NOT NULL"
        " FROM orders ORDER BY id"
    )
    assert [(o[0], o[1], o[2], o[3], bool(o[4])) for o in orders] == [
        (10, "completed", "shipped", 0, True),
        (11, "refunded", "unshipped", 3000, False),
        (12, "pending_payment", "unshipped", 0, False),
    ]
    assert db.rows("SELECT refund_committed_cents FROM payments") == [(0,)]
    assert db.rows("SELECT product_variant_id FROM shopify_variants") == [(variant_of[1],)]
    if db.url.get_backend_name() == "sqlite":
        assert db.rows("PRAGMA foreign_key_check") == []
    assert "No new upgrade operations detected" in _alembic(shopify_project, database_url, "check")

    # Migrating down gives each product its variants' stock back.
    _alembic(shopify_project, database_url, "downgrade", "0003")
    assert db.rows("SELECT id, stock FROM products ORDER BY id") == [(1, 120), (2, 0), (3, 0)]
    assert db.rows("SELECT status FROM orders WHERE id = 10") == [("fulfilled",)]
    assert db.rows("SELECT count(*) FROM order_items") == [(4,)]
