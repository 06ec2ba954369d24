"""Structural validity: the document is OpenAPI, and every `$ref` resolves locally."""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator
from typing import Any

from shopgen.contract import Contract, split_pointer

from .._rule import Problem, rule
from ._error_places import ErrorPlaces

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
    problem is reported once, at the node that is wrong (an unexpected key at the key, a
    `default` its schema refuses at the value), not as a cascade of schema errors; every error
    of a schema is reported, each on its own line. Duplicate operationIds and undeclared path
    parameters are left to `operation-id-unique` and `path-params-declared`, which say where
    they are.
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
    try:
        errors = list(validator(document, base_uri=base_uri).iter_errors())
    except Exception as aborted:
        yield from _aborted(contract, validator, document, base_uri, aborted)
        return
    yield from _located(contract, errors)


def _located(contract: Contract, errors: list[Any]) -> Iterator[Problem]:
    places = ErrorPlaces(contract)
    seen: set[tuple[str, str]] = set()
    for error in errors:
        if type(error).__name__ in _REPORTED_BY_HOUSE_RULES:
            continue
        for located in places.locate(error):
            if (located.pointer, located.message) not in seen:
                seen.add((located.pointer, located.message))
                yield Problem(located.pointer, located.message)


def _aborted(
    contract: Contract, validator: Any, document: dict[str, Any], base_uri: str, aborted: Exception
) -> Iterator[Problem]:
    """What to report when validation stopped instead of listing errors: never a traceback.

    The validators check the document against the OpenAPI schema, then walk it assuming that
    shape; a node of the wrong type (`paths: text`) makes the walk fail with whatever Python
    raises there, and the Rust validator stops before yielding anything. Both give the schema
    error first when asked for one error only, so that error is the finding, the same on
    either path. A stop with no schema error behind it (a reference that leads nowhere) is one
    finding at the reference it names, or at the top of the document.
    """
    if isinstance(aborted, RecursionError):
        yield Problem("", "structural validation stopped: references nest too deeply")
        return
    try:
        validator(document, base_uri=base_uri).validate()
    except RecursionError:
        yield Problem("", "structural validation stopped: references nest too deeply")
        return
    except Exception as first:
        if hasattr(first, "absolute_path") and hasattr(first, "message"):
            found = list(_located(contract, [first]))
            if found:
                yield from found
                return
        else:
            aborted = first
    reason = str(aborted) or type(aborted).__name__
    missing = _MISSING_KEY.fullmatch(reason)  # a KeyError, raised or wrapped by the Rust side
    if missing:
        reason = f"`{missing.group(1)}` is missing where the validator expected it"
    if len(reason) > 200:
        reason = reason[:199] + "…"
    yield Problem(_abort_pointer(contract, aborted), f"structural validation stopped: {reason}")


_MISSING_KEY = re.compile(r"'([^']*)'")


def _abort_pointer(contract: Contract, aborted: Exception) -> str:
    """Where a stopped validation points: the `$ref` it could not follow, or the document."""
    text = str(aborted)
    for holder in contract.source.index.ref_holders:
        ref = holder.node.get("$ref")
        if isinstance(ref, str) and "#" in ref and f"'{ref.partition('#')[2]}'" in text:
            return f"{holder.pointer}/$ref"
    for problem in contract.references.problems:
        if problem.file == contract.path:
            # A refused reference reads as an empty node, which the validator may trip on.
            return problem.pointer
    return ""


# operation-id-unique and path-params-declared report these, at the node, with a position.
_REPORTED_BY_HOUSE_RULES = {"DuplicateOperationIDError", "UnresolvableParameterError"}


def _validator_class(version: str) -> Any:
    # By name, so the type check is the same whether or not the accelerator is installed.
    try:  # the Rust companion gives the same findings about 30 times faster
        validators = importlib.import_module("openapi_spec_validator_rs")
    except ImportError:
        return _reference_class(version)
    if version.startswith("3.1"):
        return validators.OpenAPIV31SpecValidator
    return validators.OpenAPIV30SpecValidator


@functools.cache
def _reference_class(version: str) -> Any:
    """The reference validator, checking the document against the OpenAPI schema with
    jsonschema itself. Left to choose, it picks jsonschema-rs wherever that happens to be
    installed (Schemathesis brings it), once per process, and words its errors otherwise."""
    from jsonschema.validators import validator_for
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.schemas import schema_v30, schema_v31

    base, schema = (
        (OpenAPIV31SpecValidator, schema_v31)
        if version.startswith("3.1")
        else (OpenAPIV30SpecValidator, schema_v30)
    )
    checker = validator_for(schema)(schema)
    return type(base.__name__, (base,), {"schema_validator": checker})


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
