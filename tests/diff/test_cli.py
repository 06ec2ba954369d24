"""`shopgen diff` as users run it: exit codes, formats, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .cases import CASES


def shopgen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopgen", "diff", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def pair(tmp_path: Path, case_id: str) -> tuple[str, str]:
    (case,) = [c for c in CASES if c.id == case_id]
    old, new = case.documents()
    directory = tmp_path / case_id
    directory.mkdir()
    (directory / "old.json").write_text(json.dumps(old, indent=2))
    (directory / "new.json").write_text(json.dumps(new, indent=2))
    return str(directory / "old.json"), str(directory / "new.json")


@pytest.mark.parametrize(
    ("case_id", "fail_on", "code"),
    [
        ("path-removed", "breaking", 1),
        ("path-removed", "any", 1),
        ("path-removed", "none", 0),
        ("operation-added", "breaking", 0),
        ("operation-added", "any", 1),
        ("operation-added", "none", 0),
        ("no-change", "breaking", 0),
        ("no-change", "any", 0),
    ],
)
def test_exit_codes(tmp_path: Path, case_id: str, fail_on: str, code: int) -> None:
    result = shopgen(*pair(tmp_path, case_id), "--fail-on", fail_on)
    assert result.returncode == code, result.stderr
    assert result.stderr == ""


def test_default_is_text_failing_on_breaking(tmp_path: Path) -> None:
    old, new = pair(tmp_path, "path-removed")
    result = shopgen(old, new)
    assert result.returncode == 1
    first, summary = result.stdout.splitlines()
    assert first.startswith("BREAKING path-removed: GET /products (listProducts): ")
    assert summary.endswith("1 change (1 breaking, 0 non-breaking)")


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "github"])
def test_formats(tmp_path: Path, fmt: str) -> None:
    old, new = pair(tmp_path, "request-media-type-replaced")
    result = shopgen(old, new, "--format", fmt)
    assert result.returncode == 1
    if fmt == "json":
        assert json.loads(result.stdout)["summary"]["breaking"] == 1
    elif fmt == "markdown":
        assert result.stdout.startswith("### :x: API contract: 1 breaking change")
    elif fmt == "github":
        assert result.stdout.startswith("::error file=")
    else:
        assert result.stdout.startswith("BREAKING request-media-type-removed")


def test_output_file(tmp_path: Path) -> None:
    old, new = pair(tmp_path, "operation-added")
    target = tmp_path / "diff.md"
    result = shopgen(old, new, "--format", "markdown", "-o", str(target))
    assert result.returncode == 0 and result.stdout == ""
    assert "1 non-breaking" in target.read_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "no such file"),
        ("openapi: [unclosed\n", "bad.yaml:"),
        ("info: {title: x}\npaths: {}\n", "no `openapi` field"),
        ("swagger: '2.0'\npaths: {}\n", "is not supported"),
        ("openapi: 3.0.3\npaths: 12\n", "`paths` is a int"),
    ],
    ids=["missing", "not-yaml", "no-openapi", "swagger", "paths-scalar"],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, text: str | None, expected: str) -> None:
    good, _ = pair(tmp_path, "no-change")
    bad = tmp_path / "bad.yaml"
    if text is not None:
        bad.write_text(text)
    result = shopgen(good, str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"shopgen: {bad}")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
