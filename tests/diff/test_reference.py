"""shopgen agrees with the reference tool on every case, or the fixture says why not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .cases import CASES, Case
from .reference_run import _USES_CATEGORY, FIXTURE, agrees, classify_shopgen

RECORDED: dict[str, dict[str, Any]] = {
    row["case"]: row for row in yaml.safe_load(FIXTURE.read_text())["cases"]
}


def test_every_case_was_run_through_the_reference() -> None:
    assert set(RECORDED) == {case.id for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_agrees_or_the_disagreement_is_explained(case: Case, tmp_path: Path) -> None:
    row = RECORDED[case.id]
    ours = classify_shopgen(case, tmp_path, strip=case.id not in _USES_CATEGORY)
    assert ours == row["shopgen"], "the fixture is stale: run tests/diff/reference_run.py"
    if not agrees(ours, row["reference"]):
        reason = row.get("disagreement")
        assert isinstance(reason, str) and reason.strip()
        assert "\n" not in reason
