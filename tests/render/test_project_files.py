"""What a generated project carries for its own tooling: a record editors can check, a strict
type check that passes, pre-commit hooks, Dependabot, and no compiled caches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from shopgen import __version__, render
from shopgen.schemas import modeline, schema_text


def bake(root: Path, **overrides: str) -> Path:
    return render.new(
        None, output_dir=root, no_input=True, overrides=overrides, force=False, skip_lint=False
    )


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The default project and one with every optional part turned on."""
    return [
        bake(tmp_path_factory.mktemp("default")),
        bake(
            tmp_path_factory.mktemp("everything"),
            project_name="Tea House",
            database="postgresql",
            shopify_sync="yes",
            payment_channels="wechat,mock",
        ),
    ]


def test_no_compiled_caches(projects: list[Path]) -> None:
    for project in projects:
        assert not list(project.rglob("__pycache__")), project
        assert not list(project.rglob("*.pyc")), project


def test_every_baked_record_validates_against_the_project_schema(projects: list[Path]) -> None:
    schema = jsonschema.Draft202012Validator(json.loads(schema_text("project")))
    for project in projects:
        text = (project / ".shopgen.yaml").read_text(encoding="utf-8")
        assert text.splitlines()[0] == modeline("project")
        assert list(schema.iter_errors(yaml.safe_load(text))) == []


def test_pre_commit_config_uses_shopgens_hooks_and_ruff(projects: list[Path]) -> None:
    project = projects[0]
    path = project / ".pre-commit-config.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    repos = {repo["repo"]: repo for repo in yaml.safe_load(path.read_text())["repos"]}
    shopgen = repos["https://github.com/shopgen/shopgen"]
    assert shopgen["rev"] == f"v{__version__}"
    assert {hook["id"] for hook in shopgen["hooks"]} == {"shopgen-lint", "shopgen-diff"}
    ruff = repos["https://github.com/astral-sh/ruff-pre-commit"]
    assert {hook["id"] for hook in ruff["hooks"]} == {"ruff-check", "ruff-format"}


def test_dependabot_is_configured(projects: list[Path]) -> None:
    config = yaml.safe_load((projects[0] / ".github" / "dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions", "pip"}


def test_strict_mypy_passes_and_runs_in_ci(projects: list[Path]) -> None:
    """The project's own `mypy` (strict, from its pyproject.toml) finds nothing."""
    for project in projects:
        settings = (project / "pyproject.toml").read_text()
        assert "[tool.mypy]\nstrict = true" in settings
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--no-incremental"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        assert "Success: no issues found" in result.stdout
    ci = (projects[0] / ".github" / "workflows" / "ci.yml").read_text()
    assert "run: mypy" in ci
