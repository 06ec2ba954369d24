"""Structural findings: one per real problem, located, the same whichever validator runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shopgen.lint import load_ruleset, run

ONLY_STRUCTURE = "rules:\n  oas-structure: error\n"

BROKEN_30 = """\
openapi: 3.0.3
info:
  title: x
  version: '1'
paths:
  /api/v1/a:
    get:
      operationId: a
      parameters:
        - name: q
          in: query
          schema: {type: integer, minimum: x}
      responses:
        '200':
          descriptio: ok
components:
  schemas:
    A:
      type: object
      required: notalist
      properties:
        b: {type: strin}
"""

BROKEN_31 = """\
openapi: 3.1.0
info:
  title: x
paths:
  /api/v1/a:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  x: {type: strin}
servers:
  - description: no url
"""


def findings(tmp_path: Path, text: str) -> list[tuple[int, int, str]]:
    contract = tmp_path / "api.yaml"
    contract.write_text(text)
    rules = tmp_path / "rules.yaml"
    rules.write_text(ONLY_STRUCTURE)
    report = run(contract, ruleset=rules)
    return [(f.line, f.column, f.message) for f in report.findings]


@pytest.mark.parametrize("text", [BROKEN_30, BROKEN_31], ids=["3.0", "3.1"])
def test_reference_and_fast_validators_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    pytest.importorskip("openapi_spec_validator_rs")
    fast = findings(tmp_path, text)
    monkeypatch.setitem(sys.modules, "openapi_spec_validator_rs", None)
    assert findings(tmp_path, text) == fast
    assert fast


def test_30_failures_name_the_inner_problem_once(tmp_path: Path) -> None:
    assert findings(tmp_path, BROKEN_30) == [
        (12, 35, "'x' is not of type 'number'"),
        (14, 9, "'description' is a required property"),
        (20, 7, "'notalist' is not of type 'array'"),
        (
            22,
            13,
            "'strin' is not one of ['array', 'boolean', 'integer', 'number', 'object', 'string']",
        ),
    ]


def test_31_failures_are_located(tmp_path: Path) -> None:
    found = findings(tmp_path, BROKEN_31)
    assert (2, 1, "'version' is a required property") in found
    assert any(line == 15 and "strin" in message for line, _, message in found)
    assert any(
        line == 17 and "'url' is a required property" in message for line, _, message in found
    )


def test_house_ruleset_runs_structure() -> None:
    assert load_ruleset().severities["oas-structure"] == "error"
