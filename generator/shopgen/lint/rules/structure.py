"""Structural validity: the document is OpenAPI, and every `$ref` resolves locally."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from shopgen.contract import Contract, join_pointer, split_pointer

from .._registry import Problem, rule

__all__ = ["RULES"]


@rule(
    "oas-structure",
    default="error",
    good="""
    servers:
      - url: https://api.example-shop.com
        description: Production
    """,
    bad="""
    servers:
      - description: Production
    """,
    at="/servers/0",
)
def oas_structure(contract: Contract) -> Iterator[Problem]:
    """The document must be valid OpenAPI 3.0 or 3.1 (openapi-spec-validator).

    Every other tool — generators, gateways, documentation — assumes a valid document; a
    missing `info.version` or a misspelt keyword breaks them in ways far from the typo. Each
    problem is reported once, at the node that is wrong, not as a cascade of schema errors.
    Duplicate operationIds and undeclared path parameters are left to `operation-id-unique`
    and `path-params-declared`, which say where they are.
    """
    version = contract.openapi_version
    if not version:
        yield Problem("", "`openapi` version field is missing; expected `3.0.x` or `3.1.x`")
        return
    if not (version.startswith("3.0") or version.startswith("3.1")):
        yield Problem("/openapi", f"OpenAPI `{version}` is not supported; use 3.0.x or 3.1.x")
        return
    validator = _validator_class(version)
    document = _refused_refs_resolvable(contract)
    base_uri = contract.path.resolve().parent.as_uri() + "/"
    locator = _SchemaLocator(contract)
    seen: set[tuple[str, str]] = set()
    try:
        errors = list(validator(document, base_uri=base_uri).iter_errors())
    except RecursionError:
        yield Problem("", "structural validation stopped: references nest too deeply")
        return
    except Exception as aborted:  # the validator aborts on what it cannot resolve
        name = type(aborted).__name__
        if name != "ValidationAbortedError" and "Unresolvable" not in repr(aborted):
            raise
        yield Problem("", f"structural validation stopped: {str(aborted)[:200]}")
        return
    described: list[tuple[str, str]] = []
    for error in errors:
        if type(error).__name__ in _REPORTED_BY_HOUSE_RULES:
            continue
        pointer, message = _describe(_unwrap(error), locator)
        if (pointer, message) not in seen:
            seen.add((pointer, message))
            described.append((pointer, message))
    pointers = {pointer for pointer, _ in described}
    for pointer, message in described:
        # A node that failed because something inside it failed is the same problem twice.
        if not any(other.startswith(pointer + "/") for other in pointers):
            yield Problem(pointer, message)


def _unwrap(error: Any) -> Any:
    """Say what is wrong inside a node that matched none of its `oneOf`/`anyOf` branches.

    OpenAPI 3.0's schema writes most objects as "this, or a `$ref`"; the failure then names
    the whole node ("{…} is not valid under any of the given schemas"). The deepest error of
    a branch other than the Reference Object's is the one a person can act on.
    """
    while getattr(error, "validator", None) in ("oneOf", "anyOf"):
        context = getattr(error, "context", None) or []
        branches = [e for e in context if "'$ref' is a required property" not in str(e.message)]
        if not branches:
            break
        error = max(branches, key=lambda e: len(list(getattr(e, "absolute_path", None) or [])))
    return error


_BACKEND_SETTING = "OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND"
# operation-id-unique and path-params-declared report these, at the node, with a position.
_REPORTED_BY_HOUSE_RULES = {"DuplicateOperationIDError", "UnresolvableParameterError"}


def _validator_class(version: str) -> Any:
    validators: Any
    try:  # the Rust companion gives the same findings about 30 times faster
        import openapi_spec_validator_rs as validators
    except ImportError:
        # The reference runs on jsonschema. Left to choose, it moves to jsonschema-rs wherever
        # that happens to be installed (Schemathesis brings it), and words its errors otherwise.
        os.environ.setdefault(_BACKEND_SETTING, "jsonschema")
        import openapi_spec_validator as validators
    if version.startswith("3.1"):
        return validators.OpenAPIV31SpecValidator
    return validators.OpenAPIV30SpecValidator


_REFUSED = "x-shopgen-refused"


def _refused_refs_resolvable(contract: Contract) -> dict[str, Any]:
    """The document as the validator may read it: refused refs lead to an empty schema.

    The validator resolves references itself; a refused one (remote, outside the directory,
    dangling) must not be fetched or read, so it is pointed at `#/x-shopgen-refused`. Only the
    containers on the way to a refused reference are copied; the contract is not changed.
    """
    refused = [
        site
        for site in contract.references.sites.values()
        if site.target is None and not site.file_key
    ]
    if not refused:
        return contract.document
    document: dict[str, Any] = dict(contract.document)
    document[_REFUSED] = {}
    for site in refused:
        parent: Any = document
        for part in split_pointer(site.pointer):
            key: Any = int(part) if isinstance(parent, list) else part
            child = parent[key]
            if isinstance(child, dict | list):
                child = dict(child) if isinstance(child, dict) else list(child)
                parent[key] = child
            parent = child
        parent["$ref"] = f"#/{_REFUSED}"
    return document


class _SchemaLocator:
    """Finds where a schema-relative validator error stands in the document.

    openapi-spec-validator checks each schema on its own, so its errors carry a path relative
    to that schema; the schema roots are the places it starts from.
    """

    def __init__(self, contract: Contract) -> None:
        self._roots: list[tuple[str, Any]] | None = None
        self._contract = contract
        self._claimed: set[str] = set()

    def find(self, relative: list[Any], instance: Any) -> str | None:
        if self._roots is None:
            self._roots = list(self._contract._root_schemas())
        fallback = None
        for pointer, schema in self._roots:
            node = schema
            for part in relative:
                if isinstance(node, dict) and part in node:
                    node = node[part]
                elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                    node = node[part]
                else:
                    break
            else:
                if node is instance or (not isinstance(node, dict | list) and node == instance):
                    candidate = join_pointer([*split_pointer(pointer), *relative])
                    if candidate not in self._claimed:
                        self._claimed.add(candidate)
                        return candidate
                    fallback = fallback or candidate
        return fallback


def _describe(error: Any, locator: _SchemaLocator) -> tuple[str, str]:
    path = list(getattr(error, "absolute_path", None) or [])
    message = str(getattr(error, "message", error))
    name = type(error).__name__
    if path and path[0] in _TOP_LEVEL:
        return join_pointer(path), message
    if path or name == "OpenAPIValidationError":
        located = locator.find(path, getattr(error, "instance", None))
        if located is not None:
            return located, message
    return join_pointer(path), message


_TOP_LEVEL = {
    "openapi",
    "info",
    "jsonSchemaDialect",
    "servers",
    "paths",
    "webhooks",
    "components",
    "security",
    "tags",
    "externalDocs",
}


@rule(
    "ref-resolvable",
    default="error",
    good="""
    components:
      schemas:
        Sku: {type: string}
        Line: {type: object, properties: {sku: {$ref: '#/components/schemas/Sku'}}}
    """,
    bad="""
    components:
      schemas:
        Line: {type: object, properties: {sku: {$ref: 'https://example.com/sku.yaml'}}}
    """,
    at="/components/schemas/Line/properties/sku/$ref",
)
def ref_resolvable(contract: Contract) -> Iterator[Problem]:
    """Every `$ref` must point at a node of this contract or of a file beside it.

    Remote references make a build depend on a server being up, and a reference that leaves
    the contract's directory reads files nobody reviewed; shopgen never follows either. A
    reference to a node that does not exist is a typo that other tools report far from it.
    """
    main = contract.path
    for problem in contract.references.problems:
        yield Problem(
            problem.pointer, problem.message, None if problem.file == main else problem.file
        )


RULES = (oas_structure, ref_resolvable)
