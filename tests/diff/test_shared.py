"""Shared components are compared once; a path parameter that was always in the URL is no news."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shopgen import diff

OPERATIONS = ("a", "b", "c")


def contract(*, problem: dict[str, Any], page_minimum: int | None, body_required: list[str]) -> Any:
    page: dict[str, Any] = {"type": "integer"}
    if page_minimum is not None:
        page["minimum"] = page_minimum
    return {
        "openapi": "3.0.3",
        "info": {"title": "Shared", "version": "1"},
        "paths": {
            f"/{name}": {
                "post": {
                    "operationId": name,
                    "parameters": [{"$ref": "#/components/parameters/Page"}],
                    "requestBody": {"$ref": "#/components/requestBodies/Note"},
                    "responses": {
                        "204": {"description": "Done."},
                        "404": {"$ref": "#/components/responses/NotFound"},
                    },
                }
            }
            for name in OPERATIONS
        },
        "components": {
            "parameters": {"Page": {"name": "page", "in": "query", "schema": page}},
            "requestBodies": {
                "Note": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": body_required,
                                "properties": {"text": {"type": "string"}},
                            }
                        }
                    },
                }
            },
            "responses": {
                "NotFound": {
                    "description": "Not found.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": problem,
                            }
                        }
                    },
                }
            },
        },
    }


def write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2))
    return path


def test_a_change_in_a_shared_component_is_one_change(tmp_path: Path) -> None:
    before = contract(problem={"error": {"type": "string"}}, page_minimum=None, body_required=[])
    after = contract(
        problem={"errors": {"type": "array", "items": {"type": "string"}}},
        page_minimum=1,
        body_required=["text"],
    )
    old, new = write(tmp_path, "old.json", before), write(tmp_path, "new.json", after)
    report = diff.compare(old, new)
    every = ("POST /a (a)", "POST /b (b)", "POST /c (c)")
    assert sorted((c.kind, c.operations) for c in report.changes) == [
        ("request-constraint-tightened", every),
        ("request-property-became-required", every),
        ("response-property-added", every),
        ("response-property-removed", every),
    ]
    removed = next(c for c in report.changes if c.kind == "response-property-removed")
    assert removed.message == (
        "POST /a (a) and 2 more: response `NotFound`: property `error` removed"
    )
    assert removed.old_pointer == (
        "/components/responses/NotFound/content/application~1json/schema/properties/error"
    )


def test_a_path_parameter_declared_at_last_breaks_nobody(tmp_path: Path) -> None:
    def items(parameters: list[Any]) -> Any:
        get = {"operationId": "getItem", "responses": {"200": {"description": "The item."}}}
        if parameters:
            get["parameters"] = parameters
        return {
            "openapi": "3.0.3",
            "info": {"title": "Items", "version": "1"},
            "paths": {"/items/{id}": {"get": get}},
        }

    declared = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    old = write(tmp_path, "old.json", items([]))
    new = write(tmp_path, "new.json", items([declared]))
    report = diff.compare(old, new)
    assert [(c.kind, c.breaking, c.message) for c in report.changes] == [
        (
            "parameter-added",
            False,
            "GET /items/{id} (getItem): path parameter `id`: declared (the path template always "
            "had it)",
        )
    ]
    assert report.exit_code("breaking") == 0
