"""A generated service through a real PgBouncer in transaction pooling mode: what breaks
without DATABASE_TRANSACTION_POOLING, and the project's own order and payment tests passing
through it with the setting."""

from __future__ import annotations

import sys
from pathlib import Path

from .conftest import project_env, run
from .pgbouncer import PgBouncer, fresh_database

# Many sessions, each a few transactions of the same statements, through the pooler.
SCRIPT = """
import asyncio, sys

from sqlalchemy import text

from app.core.db import create_engine

URL, POOLING = sys.argv[1], sys.argv[2] == "true"


async def session(engine, n: int) -> None:
    for _ in range(5):
        async with engine.connect() as connection:
            value = await connection.scalar(text("SELECT CAST(:n AS integer) + 1"), {"n": n})
            assert value == n + 1
            await connection.commit()


async def main() -> None:
    engine = create_engine(URL, transaction_pooling=POOLING)
    try:
        await asyncio.gather(*(session(engine, n) for n in range(20)))
    finally:
        await engine.dispose()
    print("ok")


asyncio.run(main())
"""


def test_statement_caches_need_the_setting(canonical_project: Path, pgbouncer: PgBouncer) -> None:
    database = fresh_database("pgbouncer_statements").database
    assert database
    url = pgbouncer.url(database)
    broken = run([sys.executable, "-c", SCRIPT, url, "false"], canonical_project, project_env())
    assert broken.returncode != 0
    assert "prepared statement" in broken.stderr, broken.stderr[-2000:]
    fixed = run([sys.executable, "-c", SCRIPT, url, "true"], canonical_project, project_env())
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert fixed.stdout.strip() == "ok"


def test_order_and_payment_suites_pass_through_pgbouncer(
    canonical_project: Path, pgbouncer: PgBouncer
) -> None:
    database = fresh_database("pgbouncer_suite").database
    assert database
    env = project_env(
        TEST_DATABASE_URL=pgbouncer.url(database), DATABASE_TRANSACTION_POOLING="true"
    )
    suites = ["tests/test_orders.py", "tests/test_payments.py"]
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *suites],
        canonical_project,
        env,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout
