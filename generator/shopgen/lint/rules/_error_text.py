"""JSON Schema validation errors, worded for people who write YAML and JSON.

jsonschema (and openapi-spec-validator, which builds on it) words its errors with Python's
`repr`: `None is not of type 'object'`, `'12' is not of type 'integer'`. Contracts are written in
YAML or JSON, so values are shown as JSON, in backticks: `` `null` is not of type `object` ``,
`` `"12"` is not of type `integer` `` (the quotes say it is a string).

`leaves` takes apart an error that only says "none of the alternatives matched" (OpenAPI 3.0
writes most objects as "this, or a Reference Object"): what a person can act on are the errors
of the alternative the node was meant to be.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from shopgen.contract import json_text

__all__ = ["describe", "extra_keys", "leaves", "value_text"]

_COMPOSITIONS = ("oneOf", "anyOf")


def value_text(value: Any) -> str:
    """A value from the document as JSON in backticks; strings keep their quotes."""
    return f"`{json_text(value, quoted=True)}`"


def leaves(error: Any) -> list[Any]:
    """The errors to report for `error`: itself, or those of the alternative meant."""
    if getattr(error, "validator", None) not in _COMPOSITIONS:
        return [error]
    branches: dict[Any, list[Any]] = {}
    for inner in getattr(error, "context", None) or []:
        path = list(getattr(inner, "relative_schema_path", None) or [])
        branches.setdefault(path[0] if path else None, []).append(inner)
    meant = [found for found in branches.values() if not any(_wants_ref(e) for e in found)]
    if not meant:
        return [error]
    best = max(meant, key=lambda found: (max(_depth(e) for e in found), -len(found)))
    return [leaf for inner in best for leaf in leaves(inner)]


def _wants_ref(error: Any) -> bool:
    """The error of the Reference Object alternative: the node has no `$ref`."""
    value = getattr(error, "validator_value", None)
    return (
        getattr(error, "validator", None) == "required"
        and isinstance(value, list)
        and ("$ref" in value)
    )


def _depth(error: Any) -> int:
    return len(list(getattr(error, "absolute_path", None) or []))


def extra_keys(error: Any) -> list[str]:
    """The keys an `additionalProperties: false` error is about, in the node's order."""
    instance = getattr(error, "instance", None)
    schema = getattr(error, "schema", None)
    if not isinstance(instance, dict) or not isinstance(schema, dict):
        return []
    properties = schema.get("properties")
    known = set(properties) if isinstance(properties, dict) else set()
    patterns = schema.get("patternProperties")
    regexes = []
    for pattern in patterns if isinstance(patterns, dict) else {}:
        try:
            regexes.append(re.compile(pattern))
        except re.error:
            return []
    return [
        str(key)
        for key in instance
        if key not in known and not any(regex.search(str(key)) for regex in regexes)
    ]


def describe(error: Any) -> str:
    """The error's message with values as JSON."""
    keyword = getattr(error, "validator", None)
    wording = _WORDINGS.get(keyword) if isinstance(keyword, str) else None
    message = str(getattr(error, "message", error))
    if wording is None:
        return _generic(error, message)
    try:
        return wording(getattr(error, "instance", None), getattr(error, "validator_value", None))
    except (TypeError, ValueError, AttributeError):
        return _generic(error, message)


def _generic(error: Any, message: str) -> str:
    """Any other message: its leading `repr` of the value becomes JSON."""
    instance = getattr(error, "instance", _MISSING)
    if instance is not _MISSING:
        shown = repr(instance)
        if message.startswith(shown):
            return value_text(instance) + message[len(shown) :]
    return message


_MISSING = object()


def _names(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return ", ".join(f"`{item}`" for item in items)


def _required(instance: Any, value: Any) -> str:
    missing = [name for name in value if not (isinstance(instance, dict) and name in instance)]
    return f"`{missing[0] if missing else value}` is a required property"


_WORDINGS: dict[str, Callable[[Any, Any], str]] = {
    "type": lambda i, v: f"{value_text(i)} is not of type {_names(v)}",
    "enum": lambda i, v: f"{value_text(i)} is not one of {value_text(v)}",
    "const": lambda i, v: f"{value_text(v)} was expected, not {value_text(i)}",
    "required": _required,
    "format": lambda i, v: f"{value_text(i)} is not a valid `{v}`",
    "pattern": lambda i, v: f"{value_text(i)} does not match `{v}`",
    "minimum": lambda i, v: f"{value_text(i)} is less than the minimum of {value_text(v)}",
    "maximum": lambda i, v: f"{value_text(i)} is greater than the maximum of {value_text(v)}",
    "exclusiveMinimum": lambda i, v: (
        f"{value_text(i)} is less than or equal to the minimum of {value_text(v)}"
    ),
    "exclusiveMaximum": lambda i, v: (
        f"{value_text(i)} is greater than or equal to the maximum of {value_text(v)}"
    ),
    "multipleOf": lambda i, v: f"{value_text(i)} is not a multiple of {value_text(v)}",
    "minLength": lambda i, v: f"{value_text(i)} is shorter than {v} characters",
    "maxLength": lambda i, v: f"{value_text(i)} is longer than {v} characters",
    "minItems": lambda i, v: f"{value_text(i)} has fewer than {v} items",
    "maxItems": lambda i, v: f"{value_text(i)} has more than {v} items",
    "uniqueItems": lambda i, v: f"{value_text(i)} has non-unique items",
    "oneOf": lambda i, v: f"{value_text(i)} is not valid under any of the given schemas",
    "anyOf": lambda i, v: f"{value_text(i)} is not valid under any of the given schemas",
    "not": lambda i, v: f"{value_text(i)} must not be valid under {value_text(v)}",
}
