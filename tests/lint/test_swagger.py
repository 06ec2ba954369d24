"""Swagger 2.0 is refused as diff refuses it: one line, exit 2, no house rules run on it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shopgen.errors import UserError
from shopgen.lint import run

PETSTORE = """\
swagger: '2.0'
info: {title: Petstore, version: '1'}
paths:
  /pets:
    get:
      responses:
        '200': {description: The pets.}
"""


def test_lint_refuses_swagger_naming_the_version(tmp_path: Path) -> None:
    path = tmp_path / "petstore.yaml"
    path.write_text(PETSTORE)
    with pytest.raises(UserError) as raised:
        run(path)
    assert (raised.value.line, raised.value.column) == (1, 1)
    assert "`swagger: 2.0` (Swagger 2.0) is not supported" in raised.value.message
    assert "convert it to OpenAPI 3.x" in raised.value.message


@pytest.mark.parametrize("command", ["lint", "docs"])
def test_the_command_exits_2_with_one_line(tmp_path: Path, command: str) -> None:
    path = tmp_path / "petstore.yaml"
    path.write_text(PETSTORE)
    result = subprocess.run(
        [sys.executable, "-m", "shopgen", command, str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"shopgen: {path}:1:1: `swagger: 2.0` (Swagger 2.0) is not supported; "
        "convert it to OpenAPI 3.x (e.g. `npx swagger2openapi`)"
    ]
