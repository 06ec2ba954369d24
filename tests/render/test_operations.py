from __future__ import annotations

from typing import Any

import pytest

from shopgen.contract import Contract
from shopgen.render._operations import collect_operations, snake_case


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("listProducts", "list_products"),
        ("Idempotency-Key", "idempotency_key"),
        ("getHTTPStatus", "get_http_status"),
        ("from", "from_"),
        ("9lives", "p_9lives"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    assert snake_case(name) == expected


def _document(**operation: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "paths": {
            "/api/v1/things/{thing_id}": {
                "parameters": [{"$ref": "#/components/parameters/ThingId"}],
                "get": {"operationId": "getThing", "responses": {"200": {}}, **operation},
            }
        },
        "components": {
            "parameters": {
                "ThingId": {
                    "name": "thing_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            }
        },
    }


def test_parameters_become_typed_fields() -> None:
    doc = _document(
        parameters=[
            {"name": "X-Trace-Id", "in": "header", "schema": {"type": "string", "maxLength": 9}},
            {"name": "order", "in": "query", "schema": {"enum": ["a", "-a"], "default": "a"}},
            {
                "name": "tags",
                "in": "query",
                "schema": {"type": "array", "items": {"type": "string"}},
            },
        ]
    )
    (op,) = collect_operations(Contract.from_document(doc), {})
    fields = {p.name: (p.annotation, p.default) for p in op.params}
    assert fields == {
        # An integer is bounded by its format, int64 when it names none.
        "thing_id": ("Annotated[int, Path(ge=1, le=9223372036854775807)]", None),
        "x_trace_id": ("Annotated[str | None, Header(max_length=9)]", "None"),
        "order": ("Annotated[GetThingOrder, Query()]", '"a"'),
        "tags": ("Annotated[list[str] | None, Query()]", "None"),
    }
    (literal,) = op.literals
    assert literal.literal_values == ('"a"', '"-a"')
    assert op.custom
    assert op.params_class == "GetThingParams"


def test_integer_parameters_are_bounded_by_their_format() -> None:
    doc = _document(
        parameters=[
            {"name": "small", "in": "query", "schema": {"type": "integer", "format": "int32"}},
            {"name": "capped", "in": "query", "schema": {"type": "integer", "maximum": 5}},
        ]
    )
    (op,) = collect_operations(Contract.from_document(doc), {})
    markers = {p.name: p.marker for p in op.params}
    assert markers["small"] == "Query(ge=-2147483648, le=2147483647)"
    assert markers["capped"] == "Query(ge=-9223372036854775808, le=5)"


def test_enveloped_data_model_is_found_through_all_of() -> None:
    doc = _document(
        responses={
            "200": {
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ThingEnvelope"}}
                }
            }
        }
    )
    doc["components"]["schemas"] = {
        "Thing": {"type": "object"},
        "ThingEnvelope": {
            "allOf": [
                {"$ref": "#/components/schemas/Envelope"},
                {"properties": {"data": {"$ref": "#/components/schemas/Thing"}}},
            ]
        },
        "Envelope": {"type": "object"},
    }
    (op,) = collect_operations(Contract.from_document(doc), {})
    assert op.data_model == "Thing"


def test_long_table_entries_are_wrapped() -> None:
    doc = _document()
    doc["paths"] = {"/api/v1/" + "x" * 80: {"post": {"operationId": "makeThing", "responses": {}}}}
    (op,) = collect_operations(Contract.from_document(doc), {})
    assert op.table_entry.splitlines()[0] == "    Operation("
    assert all(len(line) <= 100 for line in op.table_entry.splitlines())
