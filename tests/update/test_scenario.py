"""The contract-first loop end to end: edit, change the contract, update, migrate, test."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import yaml

from shopgen import render

from .conftest import change_contract, commit, git, read_contract, write_contract

USER_NOTE = "\n## Our notes\n\nCategories are curated by the tea team.\n"
HANDLER_EDIT = '\n\ndef audit_note() -> str:\n    return "kept by update"\n'
STUB_EDIT = "\n# Implemented next sprint: list from the tea team's taxonomy.\n"


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


def test_update_keeps_edits_adds_the_new_and_reports_the_removed(
    project: Path, tmp_path: Path
) -> None:
    (project / "README.md").write_text(
        (project / "README.md").read_text(encoding="utf-8") + USER_NOTE, encoding="utf-8"
    )
    handlers = project / "app/api/handlers.py"
    handlers.write_text(handlers.read_text(encoding="utf-8") + HANDLER_EDIT, encoding="utf-8")
    stub = project / "app/custom/list_categories.py"
    stub.write_text(stub.read_text(encoding="utf-8") + STUB_EDIT, encoding="utf-8")
    removed_handler = (project / "app/custom/delete_category.py").read_bytes()
    commit(project, "Our edits")
    # The contract is changed in place: the one uncommitted change update accepts.
    write_contract(project / "contract/openapi.yaml", change_contract(read_contract(project)))

    plan = render.update(project, contract=None, dry_run=False, overrides={}, force=False)

    assert plan.exit_code == 0
    assert plan.conflicted == ()
    # The README is a template file: it now lists the new field, and keeps the user's notes.
    assert plan.merged == ("app/api/handlers.py", "README.md")
    assert "app/custom/get_category_stats.py" in plan.created
    assert {"app/api/operations.py", "app/api/schemas.py"} <= set(plan.updated)
    assert plan.added_operations == ("getCategoryStats",)
    assert plan.removed_operations == ("deleteCategory",)
    assert plan.orphaned_handlers == (("app/custom/delete_category.py", "deleteCategory"),)
    assert plan.new_columns == ("Product.origin",)
    assert plan.migration_command == 'alembic revision --autogenerate -m "add Product.origin"'
    text = "\n".join(plan.lines())
    assert "app/custom/delete_category.py (deleteCategory)" in text
    assert plan.migration_command in text

    # The user's edits, in a user-owned file, a stub and a generated file, are all there.
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.endswith(USER_NOTE) and "- Product: `origin`" in readme
    assert stub.read_text(encoding="utf-8").endswith(STUB_EDIT)
    merged = handlers.read_text(encoding="utf-8")
    assert merged.endswith(HANDLER_EDIT)
    assert "get_category_stats" in merged and "delete_category" not in merged
    # The removed operation's handler is kept as it was; the new one has a 501 stub.
    assert (project / "app/custom/delete_category.py").read_bytes() == removed_handler
    assert "@stub" in (project / "app/custom/get_category_stats.py").read_text(encoding="utf-8")
    assert "origin" in (project / "app/api/schemas.py").read_text(encoding="utf-8")
    operations = (project / "app/api/operations.py").read_text(encoding="utf-8")
    assert "getCategoryStats" in operations and "deleteCategory" not in operations

    # The record and the merge base follow the new contract.
    contract_bytes = (project / "contract/openapi.yaml").read_bytes()
    record = yaml.safe_load((project / ".shopgen.yaml").read_text(encoding="utf-8"))
    assert record["contract"]["sha256"] == hashlib.sha256(contract_bytes).hexdigest()
    assert "app/custom/delete_category.py" in record["files"]["user_owned"]
    assert "app/custom/get_category_stats.py" in record["files"]["user_owned"]
    base = render.kept_bases(project) or {}
    assert base["contract/openapi.yaml"] == contract_bytes
    assert base["app/api/handlers.py"].decode("utf-8") + HANDLER_EDIT == merged
    changed = git(project, "status", "--porcelain")
    assert "app/custom/delete_category.py" not in changed

    # The new column becomes an Alembic revision, which applies to a fresh database.
    database = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    upgrade = _run(project, "alembic", "upgrade", "head", DATABASE_URL=database)
    assert upgrade.returncode == 0, upgrade.stderr
    revision = _run(
        project,
        "alembic",
        "revision",
        "--autogenerate",
        "-m",
        "add product origin",
        DATABASE_URL=database,
    )
    assert revision.returncode == 0, revision.stderr
    (migration,) = (project / "alembic/versions").glob("*_add_product_origin.py")
    assert "add_column" in migration.read_text(encoding="utf-8")
    assert "'origin'" in migration.read_text(encoding="utf-8")
    upgrade = _run(project, "alembic", "upgrade", "head", DATABASE_URL=database)
    assert upgrade.returncode == 0, upgrade.stderr

    # And the project's own suite passes, the new stub's 501 included.
    suite = _run(project, "pytest", "-q", "-p", "no:cacheprovider")
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-2000:]
