"""Where each error of openapi-spec-validator stands in the document.

The validator works in two passes. The first validates the document against the OpenAPI
schema; its errors carry their path from the document's root. The second walks every schema:
it checks the schema against its JSON Schema dialect, each `default` against its schema, and a
few rules of its own (duplicate parameters and tags, `required` names nothing defines). Those
errors carry a path relative to the schema or to the default, or none at all. This module finds
the node each one is about, so every finding has the line of the offending node, not 1:1.

A schema that fails its dialect is reported by the validator once, with its first error; the
schema is then validated again here (with jsonschema, as the validator does) so that each of
its errors is reported on its own line.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shopgen.contract import Contract, SchemaNode, join_pointer, split_pointer

from ._error_text import describe, extra_keys, leaves

__all__ = ["ErrorPlaces", "Located"]


@dataclass(frozen=True)
class Located:
    pointer: str
    message: str


_UNKNOWN_DIALECT = re.compile(r"^Unknown JSON Schema dialect: '(.*)'$")
_DUPLICATE_PARAMETER = re.compile(r"^Duplicate parameter '(.*)'$")
_DUPLICATE_TAG = re.compile(r"^Duplicate tag name '(.*)'$")
_UNDEFINED_REQUIRED = re.compile(r"^Required list has not defined properties: \[(.*)\]$")


class ErrorPlaces:
    """Locates and words the errors of one validation of one contract."""

    def __init__(self, contract: Contract) -> None:
        self._contract = contract
        self._document = contract.document
        self._claimed: set[str] = set()
        self._first_pass: set[str] = set()
        """Pointers the first pass reported: the second pass's schema check repeats them."""
        self._roots: list[tuple[str, Any]] | None = None
        self._checked: set[str] = set()
        """Root schemas whose dialect errors are reported."""

    def locate(self, error: Any) -> Iterator[Located]:
        """The findings for one validator error (one or more; the last resort is the root)."""
        for leaf in leaves(error):
            pointer = self._absolute(leaf)
            if pointer is not None:
                for found in self._with_extras(leaf, pointer):
                    self._first_pass.add(found.pointer)
                    yield found
                continue
            located = self._second_pass(leaf, str(getattr(leaf, "message", leaf)))
            if located is None:
                yield Located("", describe(leaf))
            else:
                yield from (found for found in located if found.pointer not in self._first_pass)

    # -- the first pass: paths from the root --------------------------------------------------

    def _absolute(self, error: Any) -> str | None:
        """The error's pointer when its path, read from the root, reaches what it is about."""
        path = list(getattr(error, "absolute_path", None) or [])
        if not getattr(error, "validator", None) or not hasattr(error, "instance"):
            return None
        node = _at(self._document, path)
        if node is _NOWHERE:
            return None
        instance = error.instance
        if not path:
            same = isinstance(instance, dict) and instance.keys() == self._document.keys()
        else:
            same = _same(node, instance)
        return join_pointer([str(part) for part in path]) if same else None

    def _with_extras(self, error: Any, pointer: str) -> Iterator[Located]:
        """An `additionalProperties` error becomes one finding per unexpected key, at the key;
        a `uniqueItems` one is reported at the item that repeats another."""
        if getattr(error, "validator", None) == "uniqueItems":
            repeated = _repeated(getattr(error, "instance", None))
            if repeated is not None:
                first, again = repeated
                at = join_pointer([*split_pointer(pointer), str(again)])
                yield Located(at, f"item {again} repeats item {first}; items must be unique")
                return
        if getattr(error, "validator", None) == "additionalProperties":
            extras = extra_keys(error)
            if extras:
                for key in extras:
                    at = join_pointer([*split_pointer(pointer), key])
                    yield Located(at, f"property `{key}` is not expected here")
                return
        yield Located(pointer, describe(error))

    # -- the second pass: schemas, defaults and the validator's own rules -----------------------

    def _second_pass(self, error: Any, message: str) -> list[Located] | None:
        """The findings for a second-pass error; None when its place is not found."""
        if (match := _UNKNOWN_DIALECT.match(message)) is not None:
            return self._unknown_dialect(match.group(1))
        if (match := _UNDEFINED_REQUIRED.match(message)) is not None:
            return self._undefined_required(re.findall(r"'([^']*)'", match.group(1)))
        if (match := _DUPLICATE_PARAMETER.match(message)) is not None:
            return self._duplicate_parameter(match.group(1))
        if (match := _DUPLICATE_TAG.match(message)) is not None:
            return self._duplicate_tag(match.group(1))
        if not hasattr(error, "instance"):
            return None
        found = self._in_schema(error)
        return found if found is not None else self._in_default(error)

    def _unknown_dialect(self, dialect: str) -> list[Located] | None:
        for node in self._schemas():
            if node.schema.get("$schema") == dialect:
                pointer = f"{node.pointer}/$schema"
                if self._claim(pointer):
                    message = f"`$schema` `{dialect}` is not a known JSON Schema dialect"
                    return [Located(pointer, message)]
        return None

    def _undefined_required(self, names: list[str]) -> list[Located] | None:
        for node in self._schemas():
            required = node.schema.get("required")
            if not isinstance(required, list) or "allOf" not in node.schema:
                continue
            if set(names) <= set(required):
                pointer = f"{node.pointer}/required"
                if self._claim(pointer):
                    listed = ", ".join(f"`{name}`" for name in names)
                    message = (
                        f"`required` names {listed}, which no property here or in `allOf` defines"
                    )
                    return [Located(pointer, message)]
        return None

    def _duplicate_parameter(self, name: str) -> list[Located] | None:
        holders = [(item.node, item.pointer) for item in self._contract.paths]
        holders += [(op.node, op.pointer) for op in self._contract.operations]
        for holder, pointer in holders:
            params = holder.get("parameters")
            seen: set[tuple[Any, Any]] = set()
            for index, raw in enumerate(params if isinstance(params, list) else []):
                param = self._contract.deref(raw)
                if not isinstance(param, dict) or param.get("name") != name:
                    continue
                key = (param.get("name"), param.get("in"))
                at = f"{pointer}/parameters/{index}"
                if key in seen and self._claim(at):
                    return [Located(at, f"parameter `{name}` in `{key[1]}` is declared twice here")]
                seen.add(key)
        return None

    def _duplicate_tag(self, name: str) -> list[Located] | None:
        tags = self._document.get("tags")
        seen = False
        for index, tag in enumerate(tags if isinstance(tags, list) else []):
            if isinstance(tag, dict) and tag.get("name") == name:
                if seen and self._claim(f"/tags/{index}"):
                    return [Located(f"/tags/{index}", f"tag `{name}` is declared twice")]
                seen = True
        return None

    def _in_schema(self, error: Any) -> list[Located] | None:
        """A schema that fails its dialect: every error of it, each at its node.

        The error names a path inside some schema and the value found there; the schema is the
        one where that path leads to that value and which its own dialect refuses.
        """
        relative = list(getattr(error, "absolute_path", None) or [])
        for root_pointer, root in self._root_schemas():
            node = _at(root, relative)
            if node is _NOWHERE or not _same(node, error.instance):
                continue
            if root_pointer in self._checked:
                continue
            every = list(self._dialect_errors(root_pointer, root))
            if every:
                self._checked.add(root_pointer)
                return every
        return None

    def _dialect_errors(self, pointer: str, schema: Any) -> Iterator[Located]:
        validator = _dialect_validator(self._contract, schema)
        if validator is None:
            return
        for error in validator.iter_errors(schema):
            for leaf in leaves(error):
                path = [str(part) for part in getattr(leaf, "absolute_path", None) or []]
                at = join_pointer([*split_pointer(pointer), *path])
                self._claimed.add(at)
                yield from self._with_extras(leaf, at)

    def _in_default(self, error: Any) -> list[Located] | None:
        """A `default` its schema refuses: the value inside the default that is wrong."""
        path = [str(part) for part in getattr(error, "absolute_path", None) or []]
        for node in self._schemas():
            if "default" not in node.schema:
                continue
            value = _at(node.schema["default"], path)
            if value is _NOWHERE or not _same(value, error.instance):
                continue
            if not path and getattr(error, "schema", node.schema) != node.schema:
                continue
            pointer = join_pointer([*split_pointer(node.pointer), "default", *path])
            if not self._claim(pointer):
                continue
            if _valid_in_own_dialect(self._contract, node.schema):
                return []  # the validator read the schema in the document's dialect, not its own
            return [Located(pointer, f"`default` is invalid: {describe(error)}")]
        return None

    # -- helpers -------------------------------------------------------------------------------

    def _claim(self, pointer: str) -> bool:
        """Each place answers for one error of a kind: identical errors go to distinct places."""
        if pointer in self._claimed:
            return False
        self._claimed.add(pointer)
        return True

    def _schemas(self) -> tuple[SchemaNode, ...]:
        return self._contract.schemas

    def _root_schemas(self) -> list[tuple[str, Any]]:
        if self._roots is None:
            self._roots = list(self._contract.root_schemas())
        return self._roots


_NOWHERE = object()


def _repeated(items: Any) -> tuple[int, int] | None:
    """The first item equal to an earlier one, as (earlier, later) positions."""
    if not isinstance(items, list):
        return None
    seen: dict[str, int] = {}
    for position, item in enumerate(items):
        key = json.dumps(item, sort_keys=True, default=str)
        if key in seen:
            return seen[key], position
        seen[key] = position
    return None


def _same(node: Any, instance: Any) -> bool:
    """The node is the value an error names (`1` and `true` are not the same value)."""
    return node is instance or (type(node) is type(instance) and node == instance)


def _at(node: Any, path: list[Any]) -> Any:
    for part in path:
        if isinstance(node, dict):
            if part not in node:
                return _NOWHERE
            node = node[part]
        elif isinstance(node, list):
            index = part if isinstance(part, int) else int(part) if str(part).isdigit() else -1
            if not 0 <= index < len(node):
                return _NOWHERE
            node = node[index]
        else:
            return _NOWHERE
    return node


def _dialect_validator(contract: Contract, schema: Any) -> Any:
    """A validator of schemas in the dialect `schema` is written in, as the validator builds it.

    openapi-schema-validator's `check_schema` stops at the first error; this is the validator
    it uses, so that every error can be listed. None when it cannot be built the same way.
    """
    from jsonschema.validators import validator_for

    registry = _dialect_registry()
    if registry is None:
        return None
    if not contract.is_31:
        from openapi_schema_validator import OAS30Validator

        cls: Any = OAS30Validator
        format_checker = None
    else:
        from openapi_schema_validator import OAS31_BASE_DIALECT_ID, oas31_format_checker

        dialect = schema.get("$schema") if isinstance(schema, dict) else None
        if not isinstance(dialect, str):
            declared = contract.document.get("jsonSchemaDialect")
            dialect = declared if isinstance(declared, str) else OAS31_BASE_DIALECT_ID
        cls = validator_for({"$schema": dialect}, default=_UNKNOWN)
        if cls is None:
            return None
        format_checker = oas31_format_checker
    checker = validator_for(cls.META_SCHEMA, default=cls)
    return checker(
        cls.META_SCHEMA,
        format_checker=format_checker or cls.FORMAT_CHECKER,
        registry=registry,
    )


# `validator_for` answers its default for a dialect it does not know; None tells that apart.
_UNKNOWN: Any = None


@functools.cache
def _dialect_registry() -> Any:
    """The JSON Schema metaschemas plus the OpenAPI dialects' ones that `check_schema` reads.

    Built from the metaschema files openapi-schema-validator ships as package data, the way
    it builds its own registry; None when that package no longer ships them there.
    """
    from importlib.resources import files

    from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]
    from referencing import Resource

    root = files("openapi_schema_validator").joinpath("schemas")
    if not root.is_dir():
        return None
    resources = []
    stack = [root]
    while stack:
        for child in stack.pop().iterdir():
            if child.name.startswith("."):
                continue
            if child.is_dir():
                stack.append(child)
            else:
                resources.append(Resource.from_contents(json.loads(child.read_text("utf-8"))))
    return (resources @ REGISTRY).crawl()


def _valid_in_own_dialect(contract: Contract, schema: dict[str, Any]) -> bool:
    """A schema written in a dialect of its own whose `default` that dialect accepts.

    openapi-spec-validator checks every `default` in OpenAPI 3.1's base dialect, whatever the
    schema's `$schema` or the document's `jsonSchemaDialect` say; in a draft-04 schema,
    `exclusiveMaximum: true` then reads as the number 1.
    """
    if not contract.is_31:
        return False
    from openapi_schema_validator import OAS31_BASE_DIALECT_ID

    dialect = schema.get("$schema", contract.document.get("jsonSchemaDialect"))
    if not isinstance(dialect, str) or dialect == OAS31_BASE_DIALECT_ID:
        return False
    from jsonschema.validators import validator_for

    cls = validator_for({"$schema": dialect}, default=_UNKNOWN)
    if cls is None:
        return True  # an unknown dialect is reported at `$schema`
    try:
        return bool(cls(schema).is_valid(schema["default"]))
    except Exception:  # a schema the dialect cannot apply: its own error says so
        return False
