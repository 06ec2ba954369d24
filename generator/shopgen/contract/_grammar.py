"""Which parts of an OpenAPI document are OpenAPI objects, and where a `$ref` is a reference.

A `$ref` key means "reference" only where the specification allows a Reference Object (a
parameter, a response, a schema, …) or, in OpenAPI 3.1, where JSON Schema allows its `$ref`
keyword. Elsewhere it is a name or data: GitHub's SCIM schemas have a *property* called
`$ref`, and an `example` may hold `{"$ref": "#/x"}` as the literal value an API returns.
Reading either as a reference rewrites what the author wrote.

Every node of a document gets a *kind* from its parent's kind and its key: `child_kind`.
`None` is data (examples, defaults, enums, extensions, descriptions): nothing inside it is
structure.
"""

from __future__ import annotations

from typing import Any

__all__ = ["REFERABLE", "Grammar", "grammar_for", "kind_at"]

Kind = str

# Object kinds whose place admits a Reference Object (or, for a schema, a `$ref` keyword).
REFERABLE = frozenset(
    {
        "path-item",
        "parameter",
        "request-body",
        "response",
        "callback",
        "example",
        "link",
        "header",
        "schema",
        "security-scheme",
    }
)

# Maps whose keys are the author's names and whose values all have one kind. `x-` keys of the
# maps that are OpenAPI objects themselves (Paths, Responses, Callback) are extensions: data.
_MAPS: dict[Kind, tuple[Kind, bool]] = {
    "paths": ("path-item", True),
    "responses": ("response", True),
    "callback": ("path-item", True),
    "path-item-map": ("path-item", False),
    "schema-map": ("schema", False),
    "response-map": ("response", False),
    "parameter-map": ("parameter", False),
    "example-map": ("example", False),
    "request-body-map": ("request-body", False),
    "header-map": ("header", False),
    "security-scheme-map": ("security-scheme", False),
    "link-map": ("link", False),
    "callback-map": ("callback", False),
    "content": ("media-type", False),
    "encoding-map": ("encoding", False),
}

_LISTS: dict[Kind, Kind] = {
    "parameter-list": "parameter",
    "schema-list": "schema",
}

_OPERATION = {
    "parameters": "parameter-list",
    "requestBody": "request-body",
    "responses": "responses",
    "callbacks": "callback-map",
}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PATH_ITEM = dict.fromkeys(_METHODS, "operation") | {"parameters": "parameter-list"}
_PARAMETER = {"schema": "schema", "content": "content", "examples": "example-map"}

_SCHEMA_30 = {
    "properties": "schema-map",
    "additionalProperties": "schema",
    "items": "schema",
    "allOf": "schema-list",
    "anyOf": "schema-list",
    "oneOf": "schema-list",
    "not": "schema",
}
# JSON Schema 2020-12 (OpenAPI 3.1), plus the draft-07 spellings a `$schema` may select.
_SCHEMA_31 = _SCHEMA_30 | {
    "patternProperties": "schema-map",
    "$defs": "schema-map",
    "definitions": "schema-map",
    "dependentSchemas": "schema-map",
    "dependencies": "schema-map",
    "prefixItems": "schema-list",
    "additionalItems": "schema",
    "contains": "schema",
    "propertyNames": "schema",
    "if": "schema",
    "then": "schema",
    "else": "schema",
    "unevaluatedItems": "schema",
    "unevaluatedProperties": "schema",
    "contentSchema": "schema",
}

_COMPONENTS_30 = {
    "schemas": "schema-map",
    "responses": "response-map",
    "parameters": "parameter-map",
    "examples": "example-map",
    "requestBodies": "request-body-map",
    "headers": "header-map",
    "securitySchemes": "security-scheme-map",
    "links": "link-map",
    "callbacks": "callback-map",
}

# ReDoc's `x-webhooks` (OpenAPI 3.0) holds path items as 3.1's `webhooks` does.
_ROOT_30 = {"paths": "paths", "components": "components", "x-webhooks": "path-item-map"}


class Grammar:
    """The object kinds of one OpenAPI version: fixed fields, maps and lists."""

    def __init__(self, fields: dict[Kind, dict[str, Kind]]) -> None:
        self.fields = fields
        """Object kind → its fields that hold OpenAPI objects (any other field is data)."""
        self.maps = _MAPS
        """Map kind → (the kind of every value, whether `x-` keys are extensions)."""
        self.lists = _LISTS
        """List kind → the kind of every item."""

    def child_kind(self, kind: Kind | None, key: Any, value: Any) -> Kind | None:
        """The kind of `value`, found under `key` in a node of `kind`; None for data."""
        if kind is None:
            return None
        fields = self.fields.get(kind)
        if fields is not None:
            child = fields.get(key)
            if child == "schema" and isinstance(value, list):
                return "schema-list"  # `items: [...]` of the draft-07 dialect
            return child
        mapped = self.maps.get(kind)
        if mapped is not None:
            child, has_extensions = mapped
            if has_extensions and isinstance(key, str) and key.startswith("x-"):
                return None
            return child
        return self.lists.get(kind)


_GRAMMAR_30 = Grammar(
    {
        "root": _ROOT_30,
        "components": _COMPONENTS_30,
        "path-item": _PATH_ITEM,
        "operation": _OPERATION,
        "parameter": _PARAMETER,
        "header": _PARAMETER,
        "request-body": {"content": "content"},
        "media-type": {"schema": "schema", "examples": "example-map", "encoding": "encoding-map"},
        "encoding": {"headers": "header-map"},
        "response": {"headers": "header-map", "content": "content", "links": "link-map"},
        "schema": _SCHEMA_30,
    }
)
_GRAMMAR_31 = Grammar(
    {
        **_GRAMMAR_30.fields,
        "root": _ROOT_30 | {"webhooks": "path-item-map"},
        "components": _COMPONENTS_30 | {"pathItems": "path-item-map"},
        "schema": _SCHEMA_31,
    }
)


def grammar_for(document: Any) -> Grammar:
    """OpenAPI 3.0's grammar for a 3.0 document, 3.1's (a superset) for anything else."""
    version = document.get("openapi") if isinstance(document, dict) else None
    if isinstance(version, str) and version.startswith("3.0"):
        return _GRAMMAR_30
    return _GRAMMAR_31


def kind_at(grammar: Grammar, document: Any, parts: list[str]) -> Kind | None:
    """The kind of the node at a pointer's parts, read from the document's root."""
    kind: Kind | None = "root"
    node = document
    for part in parts:
        if isinstance(node, dict):
            if part not in node:
                return None
            value = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            value = node[int(part)]
        else:
            return None
        kind = grammar.child_kind(kind, part, value)
        if kind is None:
            return None
        node = value
    return kind
