"""JSON Schemas for the files people write by hand: rulesets and a project's `.shopgen.yaml`.

Editors with a YAML language server complete and check these files from the schema named on
their first line (`# yaml-language-server: $schema=<URL>`); `shopgen schema ruleset|project`
prints them, and the documentation site serves them at the same URLs.

The ruleset schema lists every registered rule, so it is written from the registry:
`python -m shopgen.schemas` rewrites the shipped files (a test says when they are stale).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "NAMES",
    "SCHEMAS_URL",
    "modeline",
    "render_ruleset_schema",
    "ruleset_schema",
    "schema_path",
    "schema_text",
]

SCHEMAS_URL = "https://shopgen.dev/schemas/"
NAMES = ("ruleset", "project")
_HERE = Path(__file__).resolve().parent


def schema_path(name: str) -> Path:
    """Where the shipped schema `name` (`ruleset` or `project`) is."""
    if name not in NAMES:
        raise ValueError(name)
    return _HERE / f"{name}.schema.json"


def schema_text(name: str) -> str:
    """The shipped schema `name`, as JSON text."""
    return schema_path(name).read_text(encoding="utf-8")


def render_ruleset_schema() -> str:
    """The ruleset schema's text as `python -m shopgen.schemas` writes it."""
    return json.dumps(ruleset_schema(), indent=2, ensure_ascii=False) + "\n"


def modeline(name: str) -> str:
    """The first line that points a YAML language server at schema `name`."""
    return f"# yaml-language-server: $schema={SCHEMAS_URL}{name}.schema.json"


def ruleset_schema() -> dict[str, Any]:
    """The ruleset schema as the registry says it is now."""
    from shopgen.lint import SEVERITIES
    from shopgen.lint.registry import all_rules

    severity = {
        "description": "A severity, `off` to turn the rule off, or true for its default.",
        "oneOf": [
            {"enum": [*SEVERITIES, "off"]},
            {"type": "boolean"},
        ],
    }
    rules = {
        rule.id: {
            "description": f"{rule.summary} (default: {rule.default_severity})",
            "$ref": "#/$defs/severity",
        }
        for rule in sorted(all_rules(), key=lambda r: r.id)
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMAS_URL}ruleset.schema.json",
        "title": "shopgen ruleset",
        "description": (
            "Which shopgen lint rules run, at which severity. `shopgen rules` explains each rule."
        ),
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "description": {"type": "string", "description": "What this ruleset is for."},
            "extends": {
                "description": (
                    "Rulesets this one starts from: `shopgen:house` or a path relative to this "
                    "file. Later ones and this file's `rules` win."
                ),
                "oneOf": [
                    {"$ref": "#/$defs/parent"},
                    {"type": "array", "items": {"$ref": "#/$defs/parent"}},
                ],
            },
            "plugins": {
                "description": "Python modules beside this file whose `RULES` join the registry.",
                "type": "array",
                "items": {
                    "type": "string",
                    "pattern": r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
                },
            },
            "rules": {
                "description": "Rule ids and their severity; plugin rules may be named too.",
                "type": ["object", "null"],
                "properties": rules,
                "propertyNames": {"pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
                "additionalProperties": {"$ref": "#/$defs/severity"},
            },
        },
        "$defs": {
            "severity": severity,
            "parent": {
                "type": "string",
                "anyOf": [{"const": "shopgen:house"}, {"not": {"pattern": "^shopgen:"}}],
            },
        },
    }
