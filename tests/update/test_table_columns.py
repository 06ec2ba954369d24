"""A property added to any table's schema becomes a column: update, autogenerate, migrate.

The canonical project gains one property on each of Product, Order, OrderItem, Payment and
User; `shopgen update` names the five columns, Alembic's autogenerate writes a revision with
exactly those five, it applies on SQLite and on PostgreSQL, and the project's suite passes.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from shopgen import render

from .conftest import commit, git, read_contract, write_contract

POSTGRES_ENV = "SHOPGEN_TEST_POSTGRES_URL"

ADDED: dict[str, tuple[str, dict[str, Any], bool]] = {
    # schema: (property, its schema, required in the response)
    "Product": ("origin", {"type": ["string", "null"], "maxLength": 60}, False),
    "Order": ("gift_wrap", {"type": "boolean", "default": False}, False),
    "OrderItem": ("engraving", {"type": ["string", "null"], "maxLength": 40}, False),
    "Payment": ("payer_note", {"type": ["string", "null"]}, False),
    "User": ("nickname", {"type": "string", "maxLength": 30}, False),
}
# Request bodies that carry two of them, so the service writes them and reads them back.
WRITTEN = {"OrderCreateItem": "engraving", "PaymentCreate": "payer_note"}
EXPECTED = {
    ("products", "origin"),
    ("orders", "gift_wrap"),
    ("order_items", "engraving"),
    ("payments", "payer_note"),
    ("users", "nickname"),
}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TEST_"))}
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


def _run(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=project,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, render.UpdatePlan]:
    """The canonical project, committed, then updated to the contract with five more fields."""
    project = render.new(
        None,
        output_dir=tmp_path_factory.mktemp("columns"),
        no_input=True,
        overrides={},
        force=False,
        skip_lint=False,
    )
    git(project, "init", "-q")
    commit(project, "Generate the project")
    document = read_contract(project)
    for schema, (name, spec, required) in ADDED.items():
        target = document["components"]["schemas"][schema]
        target["properties"][name] = {**spec, "description": f"Added {name}."}
        if required:
            target["required"].append(name)
    for schema, name in WRITTEN.items():
        spec = ADDED["OrderItem" if schema == "OrderCreateItem" else "Payment"][1]
        document["components"]["schemas"][schema]["properties"][name] = dict(spec)
    write_contract(project / "contract/openapi.yaml", document)
    plan = render.update(project, contract=None, dry_run=False, overrides={}, force=False)
    return project, plan


def _added_columns(upgrade: str) -> set[tuple[str, str]]:
    """(table, column) of each column the revision's upgrade adds, in batch mode or not."""
    added = set(
        re.findall(r"op\.add_column\(\s*['\"](\w+)['\"],\s*sa\.Column\(['\"](\w+)['\"]", upgrade)
    )
    for table, block in re.findall(
        r"batch_alter_table\(['\"](\w+)['\"][^)]*\) as batch_op:\n((?:        .*\n)+)", upgrade
    ):
        added |= {(table, c) for c in re.findall(r"add_column\(sa\.Column\(['\"](\w+)['\"]", block)}
    return added


@pytest.fixture(scope="module")
def revision(
    updated: tuple[Path, render.UpdatePlan], tmp_path_factory: pytest.TempPathFactory
) -> str:
    """`alembic upgrade head && alembic revision --autogenerate -m fields` on SQLite."""
    project, _ = updated
    database = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'shop.db'}"
    upgrade = _run(project, "alembic", "upgrade", "head", DATABASE_URL=database)
    assert upgrade.returncode == 0, upgrade.stderr
    made = _run(
        project, "alembic", "revision", "--autogenerate", "-m", "fields", DATABASE_URL=database
    )
    assert made.returncode == 0, made.stderr
    (path,) = (project / "alembic/versions").glob("*_fields.py")
    upgrade = _run(project, "alembic", "upgrade", "head", DATABASE_URL=database)
    assert upgrade.returncode == 0, upgrade.stderr
    return path.read_text(encoding="utf-8")


def test_the_plan_names_the_five_columns(updated: tuple[Path, render.UpdatePlan]) -> None:
    project, plan = updated
    assert plan.exit_code == 0 and plan.conflicted == ()
    assert set(plan.new_columns) == {
        "Product.origin",
        "Order.gift_wrap",
        "OrderItem.engraving",
        "Payment.payer_note",
        "User.nickname",
    }
    assert {
        "app/products/contract_fields.py",
        "app/orders/contract_fields.py",
        "app/orders/item_contract_fields.py",
        "app/payments/contract_fields.py",
        "app/auth/contract_fields.py",
    } <= set(plan.updated)
    assert plan.migration_command is not None
    assert plan.migration_command in "\n".join(plan.lines())


def test_autogenerate_adds_exactly_the_five_columns(revision: str) -> None:
    upgrade = revision.split("def upgrade()", 1)[1].split("def downgrade()", 1)[0]
    assert _added_columns(upgrade) == EXPECTED
    operations = re.findall(r"(?:op|batch_op)\.(\w+)\(", upgrade)
    assert [op for op in operations if op != "batch_alter_table"] == ["add_column"] * 5, upgrade
    # A boolean's default is SQL that PostgreSQL reads too, not SQLite's `0`.
    (gift_wrap,) = [line for line in upgrade.splitlines() if "'gift_wrap'" in line]
    assert "false" in gift_wrap and "'0'" not in gift_wrap, gift_wrap


# A test the project's owner would write: the new request fields are stored and served.
ROUND_TRIP = """
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app.core.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"payment_mock_secret": SecretStr("m" * 32)})


async def test_engraving_and_payer_note_round_trip(
    client: httpx.AsyncClient, customer_headers: dict[str, str], make_product: Callable[..., Any]
) -> None:
    product = await make_product()
    line = {"product_id": product["id"], "quantity": 1, "engraving": "For Emma"}
    headers = {**customer_headers, "Idempotency-Key": "engraved-1"}
    placed = await client.post("/api/v1/orders", json={"items": [line]}, headers=headers)
    assert placed.status_code == 201, placed.text
    order = placed.json()["data"]
    assert order["items"][0]["engraving"] == "For Emma"
    assert order["gift_wrap"] is False
    read = await client.get(f"/api/v1/orders/{order['id']}", headers=customer_headers)
    assert read.json()["data"]["items"][0]["engraving"] == "For Emma"

    body = {"order_id": order["id"], "channel": "mock", "payer_note": "Leave at the door"}
    opened = await client.post("/api/v1/payments", json=body, headers=customer_headers)
    assert opened.status_code == 201, opened.text
    payment = opened.json()["data"]
    assert payment["payer_note"] == "Leave at the door"
    seen = await client.get(f"/api/v1/payments/{payment['id']}", headers=customer_headers)
    assert seen.json()["data"]["payer_note"] == "Leave at the door"
"""


def test_the_project_suite_passes_after_the_update(
    updated: tuple[Path, render.UpdatePlan], revision: str
) -> None:
    project, _ = updated
    (project / "tests/test_contract_columns.py").write_text(ROUND_TRIP.lstrip(), encoding="utf-8")
    suite = _run(project, "pytest", "-q", "-x", "-p", "no:cacheprovider")
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-2000:]
    alone = _run(
        project, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_contract_columns.py"
    )
    assert "1 passed" in alone.stdout, alone.stdout[-2000:]


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh database beside the one `SHOPGEN_TEST_POSTGRES_URL` names, dropped after."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"CI must set {POSTGRES_ENV}")
        pytest.skip(f"set {POSTGRES_ENV} to a PostgreSQL database URL")
    import asyncpg

    given = make_url(url)
    name = f"{given.database}_fields_{uuid.uuid4().hex[:8]}"
    plain = given.set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(plain)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield given.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_the_revision_applies_on_postgresql(
    updated: tuple[Path, render.UpdatePlan], revision: str, postgres_database: str
) -> None:
    project, _ = updated
    for step in (["upgrade", "head"], ["check"], ["downgrade", "base"], ["upgrade", "head"]):
        result = _run(project, "alembic", *step, DATABASE_URL=postgres_database)
        assert result.returncode == 0, " ".join(step) + "\n" + result.stdout + result.stderr


def test_the_readme_states_the_measured_size_of_the_merge_base(tmp_path: Path) -> None:
    project = render.new(
        None, output_dir=tmp_path, no_input=True, overrides={}, force=False, skip_lint=False
    )
    files = render.kept_bases(project) or {}
    size = (project / render.BASE_ARCHIVE).stat().st_size
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"commit it; (\d+) kB in (\d+)\s+files for the bundled contract", readme)
    assert stated is not None
    assert int(stated[2]) == len(files)
    assert abs(int(stated[1]) * 1000 - size) <= 0.05 * size, size
