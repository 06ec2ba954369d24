"""The GitHub workflows: shopgen's own and the ones every generated project carries."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopgen import __version__, render

from ..e2e import conformance
from .conftest import REPO

TEMPLATE_WORKFLOWS = REPO / "template" / "{{cookiecutter.project_slug}}" / ".github" / "workflows"
OWN_WORKFLOWS = REPO / ".github" / "workflows"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project generated from the coupons example, which has an internal operation."""
    return render.new(
        REPO / "specs" / "examples" / "coupons.openapi.yaml",
        output_dir=tmp_path_factory.mktemp("baked"),
        no_input=True,
        overrides={},
        force=False,
        skip_lint=False,
        format_code=False,
    )


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1); GitHub reads it as a string.
    return {
        ("on" if key is True else key): value
        for key, value in yaml.safe_load(path.read_text()).items()
    }


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def runs(workflow: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


def validate(paths: list[Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
        + [str(path) for path in paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_workflow_validates_against_the_github_schema(project: Path) -> None:
    generated = sorted((project / ".github" / "workflows").glob("*.yml"))
    assert [path.name for path in generated] == ["ci.yml", "docs.yml"]
    validate(
        sorted(OWN_WORKFLOWS.glob("*.yml")) + sorted(TEMPLATE_WORKFLOWS.glob("*.yml")) + generated
    )


@pytest.mark.parametrize("name", ["ci.yml", "docs.yml"])
def test_expressions_survive_generation_intact(project: Path, name: str) -> None:
    source = (TEMPLATE_WORKFLOWS / name).read_text(encoding="utf-8")
    baked = (project / ".github" / "workflows" / name).read_text(encoding="utf-8")
    expressions = EXPRESSION.findall(source)
    assert expressions, "the workflow uses expressions"
    assert EXPRESSION.findall(baked) == expressions
    assert "{%" not in baked and "cookiecutter" not in baked
    assert baked == source


@pytest.mark.parametrize(
    "path",
    [*sorted(TEMPLATE_WORKFLOWS.glob("*.yml")), OWN_WORKFLOWS / "docs.yml"],
    ids=lambda path: f"{path.parents[2].name}/{path.name}",
)
def test_actions_are_pinned_and_permissions_least(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    for step in steps(workflow):
        if "uses" in step:
            assert PINNED_ACTION.match(step["uses"]), step["uses"]
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
    for job in workflow["jobs"].values():
        assert job.get("permissions") in (
            None,
            {"contents": "read"},
            {"pages": "write", "id-token": "write"},
            {"contents": "read", "pull-requests": "write"},  # the contract-diff comment
            {"contents": "read", "security-events": "write"},  # lint findings as SARIF
        )


def test_generated_ci_lints_annotates_and_tests_with_services(project: Path) -> None:
    workflow = load(project / ".github" / "workflows" / "ci.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    job = workflow["jobs"]["test"]
    assert {"postgres", "redis"} <= set(job["services"])
    assert job["env"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert job["env"]["REDIS_URL"].startswith("redis://")
    script = runs(workflow)
    assert "shopgen lint contract/openapi.yaml --format github" in script
    assert "ruff check" in script and "ruff format --check" in script
    assert "python -m pytest" in script


def test_generated_ci_holds_the_service_to_its_contract(project: Path) -> None:
    """The contract-conformance job runs what shopgen's own gate runs, against PostgreSQL and
    Redis, with a fixed and a random seed."""
    workflow = load(project / ".github" / "workflows" / "ci.yml")
    job = workflow["jobs"]["contract-conformance"]
    assert {"postgres", "redis"} <= set(job["services"])
    assert job["env"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert job["env"]["REDIS_URL"].startswith("redis://")
    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert "alembic upgrade head" in script
    assert f"--phases {conformance.PHASES}" in script
    assert f"--checks {conformance.CHECKS}" in script
    assert f"for seed in {conformance.FIXED_SEED} " in script
    assert "secrets.randbelow" in script
    assert "unimplemented(OPERATIONS, HANDLERS)" in script
    config = project / ".github" / "schemathesis.toml"
    assert 'expected-statuses = ["2xx", "3xx", "4xx", "501"]' in config.read_text()


def checkout(workflow: dict[str, Any]) -> dict[str, Any]:
    (step,) = [step for step in steps(workflow) if step.get("uses", "").startswith("actions/ch")]
    return step


def test_generated_docs_publishes_to_pages_from_the_default_branch_and_tags(
    project: Path,
) -> None:
    workflow = load(project / ".github" / "workflows" / "docs.yml")
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert workflow["on"]["push"] is None  # every push; the job picks the branch and the tags
    assert build["if"] == (
        "github.ref == format('refs/heads/{0}', github.event.repository.default_branch) "
        "|| startsWith(github.ref, 'refs/tags/v')"
    )
    assert build["permissions"] == {"contents": "read"}
    # The site reads every tag's contract from git: a shallow clone would have none.
    assert checkout(workflow)["with"] == {"fetch-depth": 0, "persist-credentials": False}
    uses = [step.get("uses", "") for step in build["steps"]]
    assert any(use.startswith("actions/upload-pages-artifact@") for use in uses)
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    script = runs(workflow)
    assert "shopgen lint contract/openapi.yaml --format github" in script
    assert "shopgen docs contract/openapi.yaml --site site --versions 'v*'" in script


@pytest.mark.parametrize("name", ["ci.yml", "docs.yml"])
def test_generated_workflows_pin_the_generating_shopgen(
    project: Path, tmp_path: Path, name: str
) -> None:
    """Run the workflow's own version step in the project, as the runner would."""
    workflow = load(project / ".github" / "workflows" / name)
    found = [step for step in steps(workflow) if step.get("id") == "shopgen"]
    assert found
    for step in found:
        assert step["shell"] == "python"
        output = tmp_path / "github_output"
        output.unlink(missing_ok=True)
        env = {**os.environ, "GITHUB_OUTPUT": str(output)}
        subprocess.run([sys.executable, "-c", step["run"]], cwd=project, env=env, check=True)
        assert output.read_text() == f"version={__version__}\n"
    installs = [
        s for s in steps(workflow) if 'pipx install "shopgen==${VERSION}"' in s.get("run", "")
    ]
    assert installs
    for install in installs:
        assert re.fullmatch(r"\$\{\{ steps\.\w+\.outputs\.version \}\}", install["env"]["VERSION"])


def docs_command(workflow: Path) -> list[str]:
    """The `shopgen docs …` command line a workflow runs."""
    (line,) = [
        line.strip()
        for line in runs(load(workflow)).splitlines()
        if line.strip().startswith("shopgen docs ")
    ]
    return shlex.split(line)


def shopgen_executable() -> str:
    return str(Path(sys.executable).with_name("shopgen"))


def test_shopgens_own_docs_workflow_builds_the_site_and_keeps_the_rules_in_it(
    tmp_path: Path,
) -> None:
    """Run the workflow's two build steps in order, in this repository, into a scratch site."""
    workflow = load(OWN_WORKFLOWS / "docs.yml")
    assert workflow["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
    assert workflow["jobs"]["build"]["permissions"] == {"contents": "read"}
    assert checkout(workflow)["with"] == {"fetch-depth": 0, "persist-credentials": False}
    command = docs_command(OWN_WORKFLOWS / "docs.yml")
    assert command == [
        "shopgen",
        "docs",
        "specs/shop.openapi.yaml",
        "--site",
        "site",
        "--versions",
        "v*",
    ]
    site = tmp_path / "site"
    subprocess.run(
        [shopgen_executable(), *command[1:4], str(site), *command[5:]], cwd=REPO, check=True
    )
    lines = runs(workflow).splitlines()
    (rules_line,) = [line for line in lines if "shopgen rules" in line]
    assert lines.index(rules_line) > [line.strip() for line in lines].index(
        " ".join(
            ["shopgen", "docs", "specs/shop.openapi.yaml", "--site", "site", "--versions", "'v*'"]
        )
    )
    rules = site / "rules" / "index.html"
    rules.parent.mkdir()
    command = shlex.split(rules_line.split("&&")[-1].split(">")[0])
    assert command == ["shopgen", "rules", "--format", "html"]
    with rules.open("w", encoding="utf-8") as out:
        subprocess.run([shopgen_executable(), *command[1:]], cwd=REPO, stdout=out, check=True)
    assert '<section id="' in rules.read_text(encoding="utf-8")
    assert '<a href="../">API reference</a>' in rules.read_text(encoding="utf-8")
    assert (site / "index.html").is_file() and (site / "changelog.html").is_file()
