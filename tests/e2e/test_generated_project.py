"""Generated projects, end to end: their own suites, their quality bar, their migration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import POSTGRES_ENV, project_env, ruff, run

# The canonical contract and every example: each customised one adds its own fields to
# products, users or orders, which must reach the columns, the migration and the suite.
PROJECTS = ["canonical_project", "catalogue_project", "coupons_project", "b2b_project"]


@pytest.fixture(params=PROJECTS)
def project(request: pytest.FixtureRequest) -> Path:
    path: Path = request.getfixturevalue(request.param)
    return path


def _pytest(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # A guard against a hung suite, not a speed target: the PostgreSQL run of the canonical
    # project's several hundred tests takes minutes on a busy machine.
    return run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        project,
        project_env(**env),
        timeout=900,
    )


def test_own_suite_passes_on_sqlite(project: Path) -> None:
    result = _pytest(project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


def test_shopify_sync_passes_its_own_tests(shopify_project: Path) -> None:
    """The Shopify domain exists only when the answer turns it on; its tests run here."""
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_shopify.py"],
        shopify_project,
        project_env(),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout


@pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV), reason=f"set {POSTGRES_ENV} to a PostgreSQL database URL"
)
def test_migrates_and_passes_its_own_suite_on_postgresql(canonical_project: Path) -> None:
    url = os.environ[POSTGRES_ENV]
    result = _pytest(canonical_project, TEST_DATABASE_URL=url)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # The suite drops its tables when done, so the migration starts from an empty database.
    env = project_env(DATABASE_URL=url)
    for step in (["upgrade", "head"], ["check"], ["downgrade", "base"]):
        result = run([sys.executable, "-m", "alembic", *step], canonical_project, env)
        assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_clean(project: Path) -> None:
    tool = ruff()
    if tool is None:
        pytest.skip("ruff is not installed")
    for args in (["check", "."], ["format", "--check", "."]):
        result = run([tool, *args, "--no-cache"], project, project_env())
        assert result.returncode == 0, result.stdout + result.stderr


def test_compiles_and_has_no_template_leftovers(project: Path) -> None:
    result = run(
        [sys.executable, "-m", "compileall", "-q", "-x", r"\.venv", "app", "tests", "alembic"],
        project,
        project_env(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(project / ".pyc")),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for path in project.rglob("*"):
        if path.is_file() and path.suffix in {".py", ".md", ".toml", ".yaml", ".ini", ".example"}:
            text = path.read_text(encoding="utf-8")
            assert "cookiecutter" not in text, path
            assert "{{" not in text or path.name == "openapi.yaml", path


def test_alembic_migrates_a_fresh_sqlite_file(project: Path, tmp_path: Path) -> None:
    env = project_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    upgrade = run([sys.executable, "-m", "alembic", "upgrade", "head"], project, env)
    assert upgrade.returncode == 0, upgrade.stderr
    check = run([sys.executable, "-m", "alembic", "check"], project, env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    downgrade = run([sys.executable, "-m", "alembic", "downgrade", "base"], project, env)
    assert downgrade.returncode == 0, downgrade.stderr


def test_refuses_a_placeholder_secret_outside_development(canonical_project: Path) -> None:
    env = project_env(ENVIRONMENT="production", JWT_SECRET="change-me")
    result = run(
        [sys.executable, "-c", "from app.main import create_app; create_app()"],
        canonical_project,
        env,
    )
    assert result.returncode != 0
    assert "JWT_SECRET is empty or a placeholder" in result.stderr
