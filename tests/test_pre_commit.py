"""The pre-commit hooks of `.pre-commit-hooks.yaml`, installed and run by pre-commit itself.

`pre-commit try-repo` installs the hooks' repository into an environment of its own, as a
project that lists shopgen in its `.pre-commit-config.yaml` gets it. The repository tried is a
commit of this working tree (try-repo would otherwise install afresh for every uncommitted
change), and one environment serves every test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
SHIPPED = [
    ".pre-commit-hooks.yaml",
    "pyproject.toml",
    "hatch_build.py",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "generator",
    "template",
    "specs",
]


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=_git_env()
    )
    return result.stdout


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A commit of the working tree's package files, and the pre-commit home to reuse."""
    repo = tmp_path_factory.mktemp("hooks-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=ignore)
        else:
            shutil.copy2(source, repo / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "snapshot")
    yield repo, str(tmp_path_factory.mktemp("pre-commit-home"))


def try_repo(
    hooks: tuple[Path, str], cwd: Path, hook: str, *files: str
) -> subprocess.CompletedProcess[str]:
    repo, home = hooks
    env = {**_git_env(), "PRE_COMMIT_HOME": home, "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(repo), hook, "--verbose", "--files", *files],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_manifest_is_valid() -> None:
    result = subprocess.run(
        [*PRE_COMMIT, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks == {"shopgen-lint", "shopgen-diff"}


def test_own_config_is_valid() -> None:
    result = subprocess.run(
        [*PRE_COMMIT, "validate-config", str(ROOT / ".pre-commit-config.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_hook_passes_on_the_canonical_contract(hooks_repo: tuple[Path, str]) -> None:
    if not (ROOT / ".git").exists():
        pytest.fail("the tests run from a git checkout of shopgen")
    result = try_repo(hooks_repo, ROOT, "shopgen-lint", "specs/shop.openapi.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "shopgen lint" in result.stdout and "Passed" in result.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository holding a contract on `main`, and a branch to change it on."""
    project = tmp_path / "project"
    (project / "contract").mkdir(parents=True)
    shutil.copy(ROOT / "specs" / "shop.openapi.yaml", project / "contract" / "openapi.yaml")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "contract")
    git(project, "switch", "-q", "-c", "change")
    return project


def test_lint_hook_fails_with_located_findings(hooks_repo: tuple[Path, str], project: Path) -> None:
    contract = project / "contract" / "openapi.yaml"
    contract.write_text("openapi: 3.1.0\ninfo: {title: Shop, version: '1'}\npaths: oops\n")
    result = try_repo(hooks_repo, project, "shopgen-lint", "contract/openapi.yaml")
    assert result.returncode == 1
    assert "contract/openapi.yaml:3:1 error oas-structure" in result.stdout


def test_diff_hook_fails_on_a_breaking_change_against_the_merge_base(
    hooks_repo: tuple[Path, str], project: Path
) -> None:
    contract = project / "contract" / "openapi.yaml"
    document = yaml.safe_load(contract.read_text())
    path = next(p for p, item in document["paths"].items() if "delete" in item)
    del document["paths"][path]["delete"]
    contract.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    result = try_repo(hooks_repo, project, "shopgen-diff", "contract/openapi.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BREAKING operation-removed" in result.stdout

    git(project, "checkout", "-q", "--", "contract/openapi.yaml")
    unchanged = try_repo(hooks_repo, project, "shopgen-diff", "contract/openapi.yaml")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
