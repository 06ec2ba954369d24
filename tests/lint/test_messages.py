"""Findings quote contract values as JSON (`null`, `true`, `{"type": "string"}`), not Python."""

from __future__ import annotations

import re
from pathlib import Path

from shopgen.lint import run

# Each value below ends up quoted in a finding: a mapping where a `$ref` string belongs,
# booleans where strings belong, a string where a boolean belongs, a null in an example.
VALUES = """\
openapi: 3.0.3
info: {title: Values, version: '1'}
paths:
  /api/v1/things:
    get:
      operationId: true
      summary: false
      x-internal-only: 'yes'
      responses:
        '200':
          description: The thing.
          content:
            application/json:
              schema:
                type: object
                properties:
                  count: {type: integer}
                  kind: {$ref: {type: string}}
              example: {count: null}
"""

PYTHON = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\{'|'\}")


def findings(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "values.yaml"
    path.write_text(VALUES)
    return {f.rule: f.message for f in run(path).findings}


def test_values_are_json(tmp_path: Path) -> None:
    found = findings(tmp_path)
    assert found["ref-resolvable"] == '$ref `{"type": "string"}` is not a string'
    assert found["operation-id-required"].startswith("operationId `true` of `GET /api/v1/things`")
    assert found["operation-summary"].startswith("summary `false` of ")
    assert found["internal-only-marker"].startswith('`x-internal-only` is `"yes"`;')
    assert found["examples-valid"].endswith("`null` is not of type `integer`")


def test_no_message_shows_a_python_value(tmp_path: Path) -> None:
    assert [m for m in findings(tmp_path).values() if PYTHON.search(m)] == []
