"""The table of change kinds: each edit of the base contract gives exactly its expected kinds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopgen import diff

from .cases import CASES, Case


def write_pair(case: Case, directory: Path) -> tuple[Path, Path]:
    old, new = case.documents()
    old_path, new_path = directory / "old.json", directory / "new.json"
    old_path.write_text(json.dumps(old, indent=2))
    new_path.write_text(json.dumps(new, indent=2))
    return old_path, new_path


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_gives_exactly_its_kinds(case: Case, tmp_path: Path) -> None:
    report = diff.compare(*write_pair(case, tmp_path))
    assert {(c.kind, c.breaking) for c in report.changes} == case.expected
    for change in report.changes:
        assert change.breaking is diff.KINDS[change.kind].breaking


def test_the_table_covers_every_kind() -> None:
    assert len(CASES) >= 25
    covered = {kind for case in CASES for kind, _ in case.expected}
    assert covered == set(diff.KINDS)
