"""The generated project's CI diffs its contract against the base branch's on pull requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CI = (
    Path(__file__).parents[2]
    / "template"
    / "{{cookiecutter.project_slug}}"
    / ".github"
    / "workflows"
    / "ci.yml"
)


def test_contract_diff_job_comments_and_fails_on_breaking() -> None:
    workflow: dict[str, Any] = yaml.safe_load(CI.read_text())
    job = workflow["jobs"]["contract-diff"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert 'git show "origin/${BASE_REF}:contract/openapi.yaml" > /tmp/base.yaml' in script
    assert "--format markdown --fail-on none" in script
    assert "--format github --fail-on breaking" in script
    assert "${{" not in script.replace("${{ steps.generator.outputs.version }}", "")
    (comment,) = [s for s in job["steps"] if "sticky-pull-request-comment" in s.get("uses", "")]
    assert comment["with"]["path"] == "/tmp/contract-diff.md"
    checkout = job["steps"][0]
    assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}
