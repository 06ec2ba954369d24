"""What the contract's formats promise, made explicit before code is generated from it.

An `integer` is bounded by its format (int32, else int64: ids and amounts are BIGINT), so a
value no column can hold is a 422, never a database error; a `format: uri` string must look
like a URI, so what is accepted is what the response schema promises to give back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["INTEGER_RANGES", "URI_PATTERN", "bounded"]

INTEGER_RANGES: Mapping[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
# RFC 3986: a scheme, a colon, then only characters a URI may hold (or %-escapes).
URI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9._~!$&'()*+,;=:@/?#\[\]-]|%[0-9A-Fa-f]{2})+$"
# Keywords whose values are data, not schemas: nothing in them is rewritten.
_DATA = frozenset({"example", "examples", "default", "enum", "const"})


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    return {str(k) for k in kind} if isinstance(kind, list) else set()


def bounded(node: Any) -> Any:
    """A copy of a schema (or a document) with every integer bounded by its format and every
    `format: uri` string given a pattern, where the schema does not say already."""
    if isinstance(node, list):
        return [bounded(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    schema = {key: value if key in _DATA else bounded(value) for key, value in node.items()}
    types = _types(schema)
    if "integer" in types:
        low, high = INTEGER_RANGES.get(str(schema.get("format")), INTEGER_RANGES["int64"])
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            schema["minimum"] = low
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            schema["maximum"] = high
    if "string" in types and schema.get("format") == "uri" and "pattern" not in schema:
        schema["pattern"] = URI_PATTERN
    return schema
