"""Structural findings: one per real problem, located, the same whichever validator runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shopgen.lint import load_ruleset, run

SPECS = Path(__file__).parents[2] / "specs"
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
        (12, 35, '`"x"` is not of type `number`'),
        (14, 9, "`description` is a required property"),
        (15, 11, "property `descriptio` is not expected here"),
        (20, 7, '`"notalist"` is not of type `array`'),
        (
            22,
            13,
            '`"strin"` is not one of '
            '`["array", "boolean", "integer", "number", "object", "string"]`',
        ),
    ]


def test_31_failures_are_located(tmp_path: Path) -> None:
    found = findings(tmp_path, BROKEN_31)
    assert (2, 1, "`version` is a required property") in found
    assert any(line == 15 and "strin" in message for line, _, message in found)
    assert any(
        line == 17 and "`url` is a required property" in message for line, _, message in found
    )


def test_house_ruleset_runs_structure() -> None:
    assert load_ruleset().severities["oas-structure"] == "error"


DEFAULTS_30 = """\
openapi: 3.0.3
info: {title: x, version: '1'}
paths:
  /api/v1/a:
    parameters:
      - name: level
        in: query
        schema: {type: integer, default: 'high'}
    get:
      parameters:
        - name: size
          in: query
          schema: {type: integer, default: '10'}
      responses:
        '200':
          description: ok
components:
  schemas:
    Size: {type: integer, default: '10'}
    Box:
      type: object
      default: {width: 1, depth: deep}
      properties:
        width: {type: integer}
        depth: {type: integer}
"""


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
def test_invalid_defaults_are_reported_at_the_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    """Path-level, operation-level and component defaults, each at its own line."""
    if fast:
        pytest.importorskip("openapi_spec_validator_rs")
    else:
        monkeypatch.setitem(sys.modules, "openapi_spec_validator_rs", None)
    assert findings(tmp_path, DEFAULTS_30) == [
        (8, 33, '`default` is invalid: `"high"` is not of type `integer`'),
        (13, 35, '`default` is invalid: `"10"` is not of type `integer`'),
        (19, 27, '`default` is invalid: `"10"` is not of type `integer`'),
        (22, 27, '`default` is invalid: `"deep"` is not of type `integer`'),
    ]


def test_a_node_with_a_failing_child_keeps_its_own_error(tmp_path: Path) -> None:
    """A stray key is reported even when something inside the same node fails too."""
    found = findings(
        tmp_path,
        """\
openapi: 3.0.3
info: {title: x, version: '1'}
paths:
  /api/v1/items/{id}:
    responses:
      '200': {description: stray}
    patch:
      summary: no responses here
  /api/v1/a:
    get:
      responses:
        '200':
          description: ok
          bogus: 1
          content:
            application/json:
              schema: {type: strin}
""",
    )
    assert [(line, message) for line, _, message in found] == [
        (5, "property `responses` is not expected here"),
        (7, "`responses` is a required property"),
        (14, "property `bogus` is not expected here"),
        (
            17,
            '`"strin"` is not one of '
            '`["array", "boolean", "integer", "number", "object", "string"]`',
        ),
    ]


DIALECTS_31 = """\
openapi: 3.1.0
info: {title: x, version: '1'}
paths: {}
components:
  schemas:
    Booleans:
      type: number
      exclusiveMinimum: true
      exclusiveMaximum: true
    SameBooleans:
      type: number
      exclusiveMinimum: true
      exclusiveMaximum: true
    Draft4:
      $schema: http://json-schema.org/draft-04/schema#
      type: number
      maximum: 20
      exclusiveMaximum: true
      default: 12
    Unknown:
      $schema: https://json-schema.org/draft-05/schema#
      type: number
"""


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
def test_every_error_of_a_schema_has_its_own_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    """Identical schemas are two findings each; a schema's own `$schema` decides its dialect."""
    if fast:
        pytest.importorskip("openapi_spec_validator_rs")
    else:
        monkeypatch.setitem(sys.modules, "openapi_spec_validator_rs", None)
    assert findings(tmp_path, DIALECTS_31) == [
        (8, 7, "`true` is not of type `number`"),
        (9, 7, "`true` is not of type `number`"),
        (12, 7, "`true` is not of type `number`"),
        (13, 7, "`true` is not of type `number`"),
        (
            21,
            7,
            "`$schema` `https://json-schema.org/draft-05/schema#` is not a known JSON Schema "
            "dialect",
        ),
    ]


VALIDATOR_RULES = """\
openapi: 3.0.3
info: {title: x, version: '1'}
tags:
  - name: a
  - name: a
paths:
  /api/v1/a:
    get:
      parameters:
        - {name: q, in: query, schema: {type: string}}
        - {name: q, in: query, schema: {type: string}}
      responses:
        '200': {description: ok}
components:
  schemas:
    A:
      allOf: [{type: object, properties: {x: {type: string}}}]
      required: [x, y]
"""


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
def test_the_validators_own_checks_are_located_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    """Repeated tags and parameters at the repeat, `required` names nothing defines at it."""
    if fast:
        pytest.importorskip("openapi_spec_validator_rs")
    else:
        monkeypatch.setitem(sys.modules, "openapi_spec_validator_rs", None)
    assert findings(tmp_path, VALIDATOR_RULES) == [
        (5, 5, "item 1 repeats item 0; items must be unique"),
        (11, 11, "item 1 repeats item 0; items must be unique"),
        (18, 7, "`required` names `y`, which no property here or in `allOf` defines"),
    ]


@pytest.fixture(params=["openapi-spec-validator-rs", "openapi-spec-validator"])
def validator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the Rust validator and again with the pure-Python reference."""
    if request.param == "openapi-spec-validator":
        monkeypatch.setitem(sys.modules, "openapi_spec_validator_rs", None)
    else:
        pytest.importorskip("openapi_spec_validator_rs")
    return str(request.param)


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_a_validator_that_stops_gives_one_located_finding(
    tmp_path: Path, validator: str, version: str
) -> None:
    text = f"openapi: {version}\ninfo: {{title: x, version: '1'}}\npaths: not a mapping\n"
    assert findings(tmp_path, text) == [(3, 1, '`"not a mapping"` is not of type `object`')]


def test_a_stop_behind_a_broken_reference_is_reported_at_the_reference(
    tmp_path: Path, validator: str
) -> None:
    text = """\
openapi: 3.1.0
info: {title: x, version: '1'}
paths:
  /a:
    get:
      parameters:
        - $ref: '#/components/parameters/Gone'
      responses:
        '200': {description: ok}
"""
    assert findings(tmp_path, text) == [
        (7, 11, "structural validation stopped: `name` is missing where the validator expected it")
    ]


@pytest.mark.parametrize(
    "field", ["info", "servers", "paths", "components", "tags", "webhooks", "jsonSchemaDialect"]
)
def test_both_validators_agree_when_one_of_them_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    """The pure validator crashes (KeyError, TypeError…) where the Rust one aborts."""
    pytest.importorskip("openapi_spec_validator_rs")
    canonical = yaml.safe_load((SPECS / "shop.openapi.yaml").read_text())
    for value in (42, [1, "a", None]):
        document = {**canonical, field: value}
        text = yaml.safe_dump(document, sort_keys=False)
        fast = findings(tmp_path, text)
        with monkeypatch.context() as pure:
            pure.setitem(sys.modules, "openapi_spec_validator_rs", None)
            assert findings(tmp_path, text) == fast, (field, value)
        assert fast


def test_lint_on_the_pure_python_path_never_prints_a_traceback(tmp_path: Path) -> None:
    contract = tmp_path / "api.yaml"
    contract.write_text("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: oops\n")
    code = (
        "import sys\n"
        "sys.modules['yaml_rs'] = sys.modules['openapi_spec_validator_rs'] = None\n"
        "from shopgen.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "lint", str(contract), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    found = json.loads(result.stdout)["findings"]
    assert {
        "rule": "oas-structure",
        "line": 3,
        "column": 1,
        "pointer": "/paths",
    }.items() <= next(f for f in found if f["rule"] == "oas-structure").items()
