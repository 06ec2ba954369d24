"""A project made with both modules, and a project that gains one later, end to end: the
contract lints clean, the migrations run on SQLite and PostgreSQL, the suites pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shopgen import lint, render
from shopgen.contract import load_contract

from .conftest import POSTGRES_ENV, bake, project_env, run


@pytest.fixture(scope="module")
def modules_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp("modules"), None, modules="douyin,erp")


def _alembic(project: Path, url: str, *args: str) -> str:
    result = run([sys.executable, "-m", "alembic", *args], project, project_env(DATABASE_URL=url))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _pytest(project: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    return run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths],
        project,
        project_env(),
        timeout=900,
    )


def test_the_contract_with_both_modules_lints_clean(modules_project: Path) -> None:
    report = lint.lint_contract(load_contract(modules_project / "contract/openapi.yaml"))
    assert [f"{f.line}:{f.column} {f.rule} {f.message}" for f in report.findings] == []


def test_the_suite_passes_with_both_modules(modules_project: Path) -> None:
    result = _pytest(modules_project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout


def _migrate_both_ways(project: Path, url: str, modules: tuple[str, ...]) -> None:
    """Up to every head, nothing left to autogenerate, the first module's branch down alone,
    then everything down; down again whatever failed, so the database is left empty."""
    try:
        _migrate(project, url, modules)
    finally:
        run(
            [sys.executable, "-m", "alembic", "downgrade", "base"],
            project,
            project_env(DATABASE_URL=url),
        )


def _migrate(project: Path, url: str, modules: tuple[str, ...]) -> None:
    _alembic(project, url, "upgrade", "heads")
    assert "No new upgrade operations detected" in _alembic(project, url, "check")
    _alembic(project, url, "downgrade", f"{modules[0]}@base")
    current = _alembic(project, url, "current")
    assert f"{modules[0]}_0001" not in current
    assert any(line[:4].isdigit() for line in current.splitlines()), "the shop's head stays"
    assert all(f"{name}_0001" in current for name in modules[1:])
    _alembic(project, url, "downgrade", "base")
    assert _alembic(project, url, "current").strip() == ""


def test_migrations_run_on_sqlite(modules_project: Path, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'modules.db'}"
    _migrate_both_ways(modules_project, url, ("douyin", "erp"))


@pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV), reason=f"set {POSTGRES_ENV} to a PostgreSQL database URL"
)
def test_migrations_run_on_postgresql(modules_project: Path) -> None:
    _migrate_both_ways(modules_project, os.environ[POSTGRES_ENV], ("douyin", "erp"))


def _git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Shop Dev", "-c", "user.email=dev@example.com", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


def test_a_project_gains_douyin_keeping_an_edit(tmp_path: Path) -> None:
    project = render.new(
        None, output_dir=tmp_path, no_input=True, overrides={}, force=False, skip_lint=False
    )
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "Generate")
    service = project / "app/products/service.py"
    edited = service.read_text(encoding="utf-8") + "\n\n# Our shop's own note, kept.\n"
    service.write_text(edited, encoding="utf-8")
    _git(project, "commit", "-qam", "Our words")
    shopgen = str(Path(sys.executable).with_name("shopgen"))
    update = run([shopgen, "update", "--set", "modules=douyin"], project, project_env())
    assert update.returncode == 0, update.stdout + update.stderr
    assert "module douyin added" in update.stdout
    assert service.read_text(encoding="utf-8") == edited
    _migrate_both_ways(project, f"sqlite+aiosqlite:///{tmp_path / 'gained.db'}", ("douyin",))
    # The whole suite of the updated project: the module's tests and the core's beside it.
    result = _pytest(project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout
