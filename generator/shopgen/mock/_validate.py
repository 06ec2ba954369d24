"""Checking a request against its operation: parameters, then the JSON body.

Schemas are checked by `jsonschema` through openapi-schema-validator's dialect for the
contract's version (OpenAPI 3.0's `nullable` and read/write-only rules, 3.1's JSON Schema
2020-12). Problems are reported as the generated service reports them: `field`, `message` and
`type` in pydantic's words (`missing`, `int_parsing`, `greater_than_equal`, ...), parameters
prefixed by where they are (`query.limit`, `header.Idempotency-Key`), body fields bare.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from shopgen.contract import Contract, Operation, Parameter

from ._exchange import FieldError, MockRequest
from ._schemas import SchemaChecker

__all__ = ["CheckedRequest", "check_request"]

_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})


@dataclass
class CheckedRequest:
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    header_errors: list[FieldError] = field(default_factory=list)
    """A missing or malformed header is a bad request (400), as the service answers it."""
    errors: list[FieldError] = field(default_factory=list)
    """Everything else is a validation failure (422)."""


def check_request(
    contract: Contract,
    schemas: SchemaChecker,
    operation: Operation,
    request: MockRequest,
    path_params: dict[str, str],
) -> CheckedRequest:
    checked = CheckedRequest()
    for param in operation.parameters:
        if param.location == "cookie":
            continue
        raw = _raw_value(param, request, path_params)
        prefix = f"{param.location}.{param.name}"
        errors = checked.header_errors if param.location == "header" else checked.errors
        if raw is None:
            if param.required:
                errors.append(FieldError(prefix, "Field required", "missing"))
            continue
        schema = contract.deref(param.schema) if param.schema is not None else {}
        value, problem = _coerce(raw, schema, contract)
        if problem is not None:
            errors.append(FieldError(prefix, *problem))
            continue
        found = list(schemas.errors(param.schema, value, prefix, direction="request"))
        if found:
            errors.extend(found)
            continue
        {"path": checked.path, "query": checked.query, "header": checked.headers}[param.location][
            param.name
        ] = value
    _check_body(contract, schemas, operation, request, checked)
    return checked


def _raw_value(param: Parameter, request: MockRequest, path: dict[str, str]) -> Any:
    if param.location == "path":
        return path.get(param.name)
    if param.location == "header":
        return request.header(param.name)
    values = request.query.get(param.name)
    if not values:
        return None
    return values


def _coerce(raw: Any, schema: Any, contract: Contract) -> tuple[Any, tuple[str, str] | None]:
    """Parameters arrive as text: read them as their schema's type, as the service does."""
    kind = _kind(schema, contract)
    if isinstance(raw, list):
        if kind == "array":
            items = contract.deref(schema.get("items", {})) if isinstance(schema, dict) else {}
            values: list[str] = [part for value in raw for part in value.split(",")]
            coerced = []
            for value in values:
                item, problem = _coerce(value, items, contract)
                if problem is not None:
                    return None, problem
                coerced.append(item)
            return coerced, None
        raw = raw[-1]
    if kind == "integer":
        try:
            return int(raw.strip()), None
        except ValueError:
            return None, (
                "Input should be a valid integer, unable to parse string as an integer",
                "int_parsing",
            )
    if kind == "number":
        try:
            return float(raw), None
        except ValueError:
            return None, (
                "Input should be a valid number, unable to parse string as a number",
                "float_parsing",
            )
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True, None
        if lowered in _FALSE:
            return False, None
        return None, ("Input should be a valid boolean, unable to interpret input", "bool_parsing")
    if kind == "array":
        return [raw], None
    return raw, None


def _kind(schema: Any, contract: Contract) -> str | None:
    node = contract.deref(schema)
    if not isinstance(node, dict):
        return None
    declared = node.get("type")
    if isinstance(declared, list):
        concrete = [t for t in declared if t != "null"]
        declared = concrete[0] if concrete else None
    if isinstance(declared, str):
        return declared
    for keyword in ("anyOf", "oneOf", "allOf"):
        members = node.get(keyword)
        if isinstance(members, list):
            for member in members:
                kind = _kind(member, contract)
                if kind not in (None, "null"):
                    return kind
    return None


def _check_body(
    contract: Contract,
    schemas: SchemaChecker,
    operation: Operation,
    request: MockRequest,
    checked: CheckedRequest,
) -> None:
    body = operation.request_body
    if body is None:
        return
    media = operation.request_media
    if not request.body.strip():
        if body.get("required") is True:
            checked.errors.append(FieldError("body", "Field required", "missing"))
        return
    sent = (request.header("content-type") or "application/json").split(";", 1)[0].strip()
    json_media = [m for m in media if m.is_json]
    chosen = next((m for m in media if m.media_type.lower() == sent.lower()), None)
    if chosen is None and json_media and (sent.endswith("json") or sent in ("", "text/plain")):
        chosen = json_media[0]
    if chosen is None:
        if json_media:
            checked.errors.append(
                FieldError("body", f"Send the body as {json_media[0].media_type}", "json_invalid")
            )
        return
    if not chosen.is_json:
        return
    try:
        checked.body = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        checked.errors.append(FieldError("body", "JSON decode error", "json_invalid"))
        return
    if chosen.schema is not None:
        checked.errors.extend(schemas.errors(chosen.schema, checked.body, "", direction="request"))
