"""Workflows, the action and Dependabot, shopgen's own and a generated project's: valid against
their schemas, every action pinned to a commit, and nothing zizmor rates medium or worse."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopgen import render

ROOT = Path(__file__).parents[1]
TEMPLATE = ROOT / "template" / "{{cookiecutter.project_slug}}"
# `uses: owner/repo[/path]@<40 hex> # v1.2.3`, or a local action.
PINNED = re.compile(r"^\s*-?\s*uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+(\.\d+)*\s*$")
USES = re.compile(r"^\s*-?\s*uses:\s*(\S+)")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render.new(
        None,
        output_dir=tmp_path_factory.mktemp("audited"),
        no_input=True,
        overrides={},
        force=False,
        skip_lint=False,
        format_code=False,
    )


def own_files() -> list[Path]:
    return [*sorted((ROOT / ".github" / "workflows").glob("*.yml")), ROOT / "action.yml"]


def check_jsonschema(schema: str, *paths: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_validates_against_the_action_metadata_schema() -> None:
    check_jsonschema("vendor.github-actions", ROOT / "action.yml")
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"contract", "version", "sarif", "docs-output", "diff-base"} <= set(action["inputs"])
    uses = [step.get("uses", "") for step in action["runs"]["steps"]]
    assert any(use.startswith("github/codeql-action/upload-sarif@") for use in uses)


def test_release_and_every_workflow_validate(project: Path) -> None:
    workflows = [*sorted((ROOT / ".github" / "workflows").glob("*.yml"))]
    assert {"ci.yml", "docs.yml", "release.yml"} <= {path.name for path in workflows}
    generated = sorted((project / ".github" / "workflows").glob("*.yml"))
    check_jsonschema("vendor.github-workflows", *workflows, *generated)


def test_release_publishes_with_trusted_publishing_and_no_token() -> None:
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    release = yaml.safe_load(text)
    assert release[True] == {"push": {"tags": ["v*"]}}  # PyYAML reads `on` as True
    assert release["permissions"] == {}
    pypi = release["jobs"]["pypi"]
    assert pypi["permissions"] == {"id-token": "write"}
    assert pypi["environment"]["name"] == "pypi"
    assert not any("with" in step for step in pypi["steps"] if "pypi-publish" in step["uses"])
    assert "secrets." not in text and "password" not in text
    build = "\n".join(step.get("run", "") for step in release["jobs"]["build"]["steps"])
    assert "twine check" in build and "python -m venv" in build and "dist/*.whl" in build


def test_release_notes_come_from_the_changelog(tmp_path: Path) -> None:
    """Run the workflow's own extraction on CHANGELOG.md, as the runner would."""
    release = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    (step,) = [
        s for s in release["jobs"]["github-release"]["steps"] if "CHANGELOG" in s.get("name", "")
    ]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    versions = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    assert versions, "CHANGELOG.md has released versions"
    assert changelog.count("## [Unreleased]") == 1
    script = step["run"].replace("/tmp/notes.md", str(tmp_path / "notes.md"))
    result = subprocess.run(
        ["bash", "-ec", script],
        cwd=ROOT,
        env={"TAG": f"v{versions[0]}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    notes = (tmp_path / "notes.md").read_text()
    assert "### Added" in notes and "## [" not in notes and "]: https://" not in notes


def pins(paths: list[Path]) -> dict[str, set[str]]:
    """Every action reference in the files, by action, asserting that each is SHA-pinned."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            uses = USES.match(line)
            if uses is None or uses.group(1).startswith("./"):
                continue
            pinned = PINNED.match(line)
            assert pinned, f"{path.name}: not pinned to a commit with its version: {line.strip()}"
            found.setdefault(pinned.group(1), set()).add(pinned.group(2))
    return found


def test_every_action_is_pinned_to_one_commit_everywhere(project: Path) -> None:
    own = pins(own_files())
    generated = pins(sorted((project / ".github" / "workflows").glob("*.yml")))
    assert own and generated
    everywhere: dict[str, set[str]] = {}
    for found in (own, generated):
        for action, commits in found.items():
            everywhere.setdefault(action, set()).update(commits)
    # Dependabot moves shopgen's own pins; the template must follow them.
    stale = {action: commits for action, commits in everywhere.items() if len(commits) > 1}
    assert not stale, f"actions pinned to different commits: {stale}"


def zizmor(*paths: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("zizmor")),
            "--offline",
            "--no-config",
            "--format",
            "json",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def serious(findings: list[dict[str, Any]]) -> list[str]:
    return [
        f"{f['ident']} ({f['determinations']['severity']}): {f['desc']} at "
        f"{f['locations'][0]['symbolic']['key']}"
        for f in findings
        if f["determinations"]["severity"] in ("Medium", "High")
    ]


def test_zizmor_finds_nothing_serious_in_shopgens_workflows() -> None:
    assert serious(zizmor(ROOT / ".github" / "workflows", ROOT / "action.yml")) == []


def test_zizmor_finds_nothing_serious_in_a_generated_projects_workflows(project: Path) -> None:
    assert serious(zizmor(project / ".github" / "workflows")) == []


def test_zizmor_would_catch_an_unpinned_action(tmp_path: Path) -> None:
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n"
    )
    found = serious(zizmor(workflow.parent))
    assert any(line.startswith("unpinned-uses") for line in found)
    assert any(line.startswith("artipacked") for line in found)


@pytest.mark.parametrize("where", ["shopgen", "project"])
def test_dependabot_keeps_actions_and_python_dependencies_current(
    project: Path, where: str
) -> None:
    path = (ROOT if where == "shopgen" else project) / ".github" / "dependabot.yml"
    check_jsonschema("vendor.dependabot", path)
    config = yaml.safe_load(path.read_text())
    assert {update["package-ecosystem"] for update in config["updates"]} >= {
        "github-actions",
        "pip",
    }
