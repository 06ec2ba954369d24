"""Input update cannot use: exit 2, one line naming the file, nothing changed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import commit, read_contract, shopgen, snapshot, write_contract

RECORD = ".shopgen.yaml"


def _edit_record(change: Callable[[dict[str, Any]], object]) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / RECORD
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(record)
        path.write_text(yaml.safe_dump(record), "utf-8")
        commit(project, "Edit the record")

    return edit


def _write_record(text: str) -> Callable[[Path], None]:
    def write(project: Path) -> None:
        (project / RECORD).write_text(text, encoding="utf-8")
        commit(project, "Break the record")

    return write


def _dirty(project: Path) -> None:
    config = project / "app/core/config.py"
    config.write_text(config.read_text(encoding="utf-8") + "# unfinished\n", encoding="utf-8")


RECORD_CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "not-yaml": (_write_record("answers: [unclosed\n"), "invalid YAML"),
    "not-a-mapping": (_write_record("- a\n- list\n"), "must be a mapping, not a list"),
    "missing-answers": (_edit_record(lambda r: r.pop("answers")), "`answers` must be a mapping"),
    "missing-answer": (
        _edit_record(lambda r: r["answers"].pop("database")),
        "`answers` lacks `database`",
    ),
    "missing-version": (_edit_record(lambda r: r.pop("shopgen_version")), "`shopgen_version`"),
    "wrong-version-type": (
        _edit_record(lambda r: r.update(shopgen_version=1)),
        "`shopgen_version` must be a string, not a int",
    ),
    "wrong-files-type": (
        _edit_record(lambda r: r["files"].update(generated="app")),
        "`files.generated` must be a list of paths",
    ),
    "bad-hash": (
        _edit_record(lambda r: r["contract"].update(sha256="abc")),
        "is not a sha256 hex digest",
    ),
    "bad-answer": (
        _edit_record(lambda r: r["answers"].update(database="oracle")),
        "database `oracle` is not supported",
    ),
    "newer-shopgen": (
        _edit_record(lambda r: r.update(shopgen_version="99.0.0")),
        "made by shopgen 99.0.0, newer than this shopgen",
    ),
}


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("case", list(RECORD_CASES))
def test_a_bad_record_changes_nothing(project: Path, case: str) -> None:
    prepare, message = RECORD_CASES[case]
    prepare(project)
    before = snapshot(project)
    result = shopgen("update", str(project))
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert line.startswith(f"shopgen: {project / RECORD}"), line
    assert message in line
    assert snapshot(project) == before


def test_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    before = snapshot(tmp_path)
    result = shopgen("update", str(tmp_path))
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert str(tmp_path) in line and "is not a shopgen project" in line
    assert snapshot(tmp_path) == before


def test_a_contract_failing_lint_changes_nothing(project: Path, tmp_path: Path) -> None:
    document = read_contract(project)
    document["paths"]["/api/v1/categories"]["get"]["operationId"] = "getCategory"
    contract = tmp_path / "duplicate-ids.yaml"
    write_contract(contract, document)
    before = snapshot(project)
    result = shopgen("update", str(project), "--contract", str(contract))
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert line.startswith(f"shopgen: {contract}:") and "[operation-id-unique]" in line
    assert snapshot(project) == before


def test_a_dirty_work_tree_needs_force(project: Path) -> None:
    _dirty(project)
    before = snapshot(project)
    result = shopgen("update", str(project))
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "uncommitted changes: `app/core/config.py`" in line and "--force" in line
    assert snapshot(project) == before

    forced = shopgen("update", str(project), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (project / "app/core/config.py").read_text(encoding="utf-8").endswith("# unfinished\n")


def test_an_unknown_answer_changes_nothing(project: Path) -> None:
    before = snapshot(project)
    result = shopgen("update", str(project), "--set", "colour=blue")
    assert result.returncode == 2
    assert "--set `colour` is not a template variable" in _one_line(result.stderr)
    assert snapshot(project) == before


def test_a_changed_contract_without_a_kept_base_changes_nothing(project: Path) -> None:
    shutil.rmtree(project / ".shopgen")
    commit(project, "A project from before .shopgen/base")
    document = read_contract(project)
    document["info"]["description"] = "Changed in place."
    write_contract(project / "contract/openapi.yaml", document)
    before = snapshot(project)
    result = shopgen("update", str(project))
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "`.shopgen/base.tar` is missing" in line and "--contract" in line
    assert snapshot(project) == before


def test_a_damaged_merge_base_archive_changes_nothing(project: Path) -> None:
    archive = project / ".shopgen/base.tar"
    archive.write_bytes(archive.read_bytes()[:700])
    commit(project, "Cut the archive short")
    before = snapshot(project)
    result = shopgen("update", str(project))
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert ".shopgen/base.tar" in line and "cannot be read" in line and "restore" in line
    assert snapshot(project) == before
