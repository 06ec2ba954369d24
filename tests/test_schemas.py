"""The JSON Schemas editors read: current with the registry, valid, and true of what we ship."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from shopgen.schemas import NAMES, modeline, render_ruleset_schema, schema_path, schema_text

ROOT = Path(__file__).parents[1]
RULESETS = sorted(p for p in (ROOT / "specs").rglob("*.yaml") if ".openapi." not in p.name)


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_text(name))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_shipped_ruleset_schema_lists_every_registered_rule() -> None:
    assert schema_path("ruleset").read_text(encoding="utf-8") == render_ruleset_schema(), (
        "the rule registry changed: run `python -m shopgen.schemas`"
    )


@pytest.mark.parametrize("name", NAMES)
def test_schemas_are_valid_and_name_their_published_address(name: str) -> None:
    schema = validator(name).schema
    assert schema["$id"] == modeline(name).partition("$schema=")[2]


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.name)
def test_every_bundled_ruleset_validates_and_names_its_schema(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == modeline("ruleset")
    errors = list(validator("ruleset").iter_errors(yaml.safe_load(text)))
    assert errors == []


def test_bundled_rulesets_were_found() -> None:
    assert [p.name for p in RULESETS] == ["house-rules.yaml"]


@pytest.mark.parametrize(
    ("ruleset", "wrong"),
    [
        ({"rules": {"path-kebab-case": "warning"}}, "'warning' is not valid"),
        ({"rule": {}}, "Additional properties are not allowed"),
        ({"extends": "shopgen:other"}, "shopgen:other"),
        ({"plugins": ["acme-rules"]}, "does not match"),
    ],
)
def test_the_ruleset_schema_catches_what_the_loader_refuses(
    ruleset: dict[str, Any], wrong: str
) -> None:
    errors = [e.message for e in validator("ruleset").iter_errors(ruleset)]
    assert errors and any(wrong in e or wrong in str(ruleset) for e in errors), errors


def test_a_team_ruleset_validates() -> None:
    team = {
        "extends": ["shopgen:house", "../shared/rules.yaml"],
        "rules": {"path-kebab-case": "off", "money-integer-minor-units": "warn", "acme-x": True},
        "plugins": ["acme_rules"],
    }
    assert list(validator("ruleset").iter_errors(team)) == []


@pytest.mark.parametrize("name", NAMES)
def test_shopgen_schema_prints_the_schema(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shopgen", "schema", name],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(schema_text(name))


def test_shopgen_schema_refuses_an_unknown_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shopgen", "schema", "contract"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
