"""No contract makes lint crash or hang: wrong types anywhere are findings, not tracebacks."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import lint_contract, load_ruleset

CANONICAL = Path(__file__).parents[2] / "specs" / "shop.openapi.yaml"
WRONG_VALUES: list[Any] = [42, "text", [], {}, None, True, [1, "a", None]]
TOP_LEVEL = [
    "openapi",
    "info",
    "servers",
    "paths",
    "components",
    "security",
    "tags",
    "externalDocs",
    "webhooks",
    "jsonSchemaDialect",
]


@pytest.fixture(scope="module")
def canonical() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(CANONICAL.read_text())
    return document


def lint(document: dict[str, Any]) -> list[str]:
    report = lint_contract(Contract.from_document(document), load_ruleset())
    return [f.rule for f in report.findings]


@pytest.mark.parametrize("field", TOP_LEVEL)
def test_wrong_type_in_every_top_level_field(canonical: dict[str, Any], field: str) -> None:
    for value in WRONG_VALUES:
        document = copy.deepcopy(canonical)
        document[field] = value
        rules = lint(document)
        if field in ("openapi", "info", "paths", "servers", "tags", "security"):
            assert rules, f"{field}={value!r} gave no finding"


def _containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                found.append((*path, key))
                found.extend(_containers(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict | list):
                found.append((*path, index))
                found.extend(_containers(value, (*path, index)))
    return found


def test_wrong_types_deep_inside_do_not_crash(canonical: dict[str, Any]) -> None:
    """Replace a spread of nested nodes (operations, parameters, schemas…) with wrong types."""
    places = _containers(canonical)
    sample = places[:: max(1, len(places) // 30)]
    for index, path in enumerate(sample):
        for value in ((42, [None]), ("text", {"$ref": 7}))[index % 2]:
            document = copy.deepcopy(canonical)
            parent = document
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = value
            lint(document)  # must not raise


def test_hundred_thousand_operations(tmp_path: Path) -> None:
    paths = {
        f"/api/v1/items-{i}": {
            "get": {"operationId": f"getItem{i}", "responses": {"200": {"description": "ok"}}}
        }
        for i in range(100_000)
    }
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "x"}, "paths": paths}))
    result = subprocess.run(
        [sys.executable, "-m", "shopgen", "lint", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert summary["total"] >= 100_000
    assert summary["error"] >= 1  # info.version is missing
    assert "Traceback" not in result.stderr
