"""shopgen on real-world contracts: lint and docs on every corpus file, diff on chosen pairs.

The files come from the npm packages pinned in `package.json` (see `corpus.py`). What shopgen
says about each is recorded in `expectations.yaml`, reviewed: a change fails here until that
file is updated on purpose. Each file is linted once per session and the reports are shared.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from shopgen import diff, docs, lint
from shopgen.contract._source import read_source
from shopgen.errors import UserError

from .corpus import MODULES, STRUCTURAL, Pair, corpus_files, expectations, pairs
from .reference_run import disagrees

if not (MODULES / "@octokit" / "openapi").is_dir():  # pragma: no cover - a laptop without npm
    message = "the corpus is missing: run `npm ci` in tests/corpus"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

FILES = corpus_files()
RECORDED: dict[str, Any] = expectations()["files"]
GITHUB = [f"@octokit/openapi/generated/{name}" for name in ("ghes-3.17.json", "ghes-3.18.json")]
GITHUB += [f"@octokit/openapi/generated/{name}" for name in ("ghes-3.19.json", "ghec.json")]


@pytest.fixture(scope="session")
def reports() -> dict[str, lint.Report | UserError]:
    """Every corpus file linted with the house rules, once."""
    found: dict[str, lint.Report | UserError] = {}
    for name in FILES:
        try:
            found[name] = lint.run(MODULES / name)
        except UserError as error:
            found[name] = error
    return found


def structural(report: lint.Report | UserError) -> list[lint.Finding]:
    if isinstance(report, UserError):
        return []
    return [finding for finding in report.findings if finding.rule in STRUCTURAL]


def test_every_file_is_recorded() -> None:
    assert len(FILES) >= 130
    assert sorted(RECORDED) == FILES


@pytest.mark.parametrize("name", FILES)
def test_structural_verdict_is_the_recorded_one(
    reports: dict[str, lint.Report | UserError], name: str
) -> None:
    report = reports[name]
    count: int | str = "refused" if isinstance(report, UserError) else len(structural(report))
    assert count == RECORDED[name]["shopgen"], [
        f"{f.line}:{f.column} {f.pointer} {f.message}" for f in structural(report)
    ]


def test_only_swagger_is_refused(reports: dict[str, lint.Report | UserError]) -> None:
    refused = {name: str(error) for name, error in reports.items() if isinstance(error, UserError)}
    assert refused, "the corpus has Swagger 2.0 files"
    for name, error in refused.items():
        assert "/2.0/" in name and "(Swagger 2.0) is not supported; convert it" in error


def test_every_disagreement_has_a_reason() -> None:
    for name, entry in RECORDED.items():
        if disagrees(entry):
            assert str(entry.get("reason", "")).strip(), f"{name}: {entry}"


def test_structural_findings_name_their_node(reports: dict[str, lint.Report | UserError]) -> None:
    """A pointer into the document and a position past the first line, never 1:1 at ``."""
    for name, report in reports.items():
        for finding in structural(report):
            assert finding.pointer and finding.line > 1, f"{name}: {finding}"


def test_github_descriptions_have_no_structural_error(
    reports: dict[str, lint.Report | UserError],
) -> None:
    for name in GITHUB:
        assert structural(reports[name]) == []


_EMBEDDED = re.compile(r'<script id="shopgen-spec" type="application/json">(.*?)</script>', re.S)


@pytest.mark.parametrize("name", FILES)
def test_docs_embed_the_document_unchanged(tmp_path: Path, name: str) -> None:
    """The page carries the contract as written: what a parser reads from the file."""
    page = tmp_path / "index.html"
    options = docs.DocsOptions(skip_lint=True, include_internal=True)
    docs.build(MODULES / name, page, options)
    embedded = _EMBEDDED.search(page.read_text(encoding="utf-8"))
    assert embedded is not None
    assert json.loads(embedded.group(1)) == read_source(MODULES / name).document
    if name == "@octokit/openapi/generated/ghes-3.17.json":
        group = json.loads(embedded.group(1))["components"]["schemas"]["group-response"]
        assert group["properties"]["members"]["items"]["properties"]["$ref"] == {"type": "string"}


@pytest.mark.parametrize("pair", pairs(), ids=lambda pair: pair.id)
def test_diff_counts_are_the_recorded_ones(pair: Pair) -> None:
    report = diff.compare(MODULES / pair.old, MODULES / pair.new)
    assert (len(report.changes), len(report.breaking)) == (pair.changes, pair.breaking)
