"""A user without ruff gets the same clean code: the template and renderer emit it formatted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shopgen import render

SPECS = Path(__file__).parents[2] / "specs"
RUFF = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))


@pytest.mark.parametrize(
    ("contract", "answers"),
    [
        (None, {}),
        (None, {"shopify_sync": "true"}),
        (SPECS / "examples" / "catalogue.openapi.yaml", {}),
        (SPECS / "examples" / "coupons.openapi.yaml", {}),
        (SPECS / "examples" / "b2b.openapi.yaml", {}),
        (None, {"modules": "douyin,erp,commission,monitoring"}),
    ],
    ids=["canonical", "canonical-shopify", "catalogue", "coupons", "b2b", "every-module"],
)
def test_output_is_ruff_clean_without_formatting(
    tmp_path: Path, contract: Path | None, answers: dict[str, str]
) -> None:
    project = render.new(
        contract,
        output_dir=tmp_path,
        no_input=True,
        overrides=answers,
        force=False,
        skip_lint=False,
        format_code=False,
    )
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([RUFF, *command], cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
