"""`examples-valid`'s fast path against jsonschema itself.

`_PlainCheck.valid` may only answer True for an instance the validator accepts (False means
"ask the validator"), so the rule's verdict is always jsonschema's: Draft 2020-12 for 3.1,
the OpenAPI 3.0 dialect for 3.0. Checked on every example of the bundled contracts, of the
rules' own good and bad snippets and of the schema rule's test table, and on a few hundred
generated schema/instance pairs built around the places the two could part: integral
floats, booleans against numbers, `nullable`, `oneOf`, formats, patterns and bounds.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import referencing
import referencing.jsonschema
import yaml
from openapi_schema_validator import OAS30Validator

from shopgen.contract import Contract, load_contract
from shopgen.lint import all_rules
from shopgen.lint.rules.schemas import _PlainCheck
from shopgen.resources import specs_dir

from .test_rules import merged
from .test_schemas import EXAMPLES

Pair = tuple[Contract, Any, Any]


def _examples(contract: Contract) -> Iterator[Pair]:
    """Every (example, schema) the rule checks, found as the rule finds them."""
    for holder, _pointer in contract._schema_holders():
        if not isinstance(holder, dict) or "$ref" in holder:
            continue
        schema = holder.get("schema")
        if schema is None:
            content = holder.get("content")
            media = next(iter(content.values()), None) if isinstance(content, dict) else None
            schema = media.get("schema") if isinstance(media, dict) else None
        if schema is None:
            continue
        if "example" in holder:
            yield contract, holder["example"], schema
        examples = holder.get("examples")
        for raw in examples.values() if isinstance(examples, dict) else ():
            example = contract.deref(raw)
            if isinstance(example, dict) and "value" in example:
                yield contract, example["value"], schema
    for node in contract.schemas:
        if "example" in node.schema:
            yield contract, node.schema["example"], node.schema
        for value in (
            node.schema.get("examples") or ()
            if isinstance(node.schema.get("examples"), list)
            else ()
        ):
            yield contract, value, node.schema


def _fixture_contracts() -> Iterator[Contract]:
    specs = specs_dir()
    for path in [specs / "shop.openapi.yaml", *sorted((specs / "examples").glob("*.yaml"))]:
        yield load_contract(path)
    for rule in all_rules():
        for snippet in (rule.good, rule.bad):
            yield Contract.from_document(merged(snippet))
    for _name, text, _expected in EXAMPLES:
        for version in ("3.1.0", "3.0.3"):
            document = {"openapi": version, "info": {"title": "Shop", "version": "1"}}
            document["paths"] = {}
            document.update(yaml.safe_load(text))
            yield Contract.from_document(document)


# -- generated pairs ---------------------------------------------------------------------------

_SCALARS: list[Any] = [0, 1, -1, 2, 1.0, 2.5, -0.5, True, False, None, "", "a", "abc", "A1"]
_STRINGS = ["2025-01-01T00:00:00Z", "not a date", "a@example.com", "x@", "aa-bb", "tea"]
_UUID = "00000000-0000-4000-8000-000000000000"


def _schema(rng: random.Random, is_31: bool, depth: int = 0) -> dict[str, Any]:
    kind = rng.choice(
        ["integer", "number", "string", "boolean", "object", "array", "combo", "numbers"]
    )
    if kind == "numbers":
        # Branches a number may match more than once: where `oneOf` verdicts part.
        first = rng.choice([{"type": "integer"}, {"enum": [1, 2]}, {"enum": [True, 0]}])
        second = rng.choice([{"type": "number"}, {"type": "boolean"}, {"enum": [1.0, "a"]}])
        return {"oneOf": [first, second]}
    if depth >= 2 and kind in {"object", "array", "combo"}:
        kind = rng.choice(["integer", "string"])
    schema: dict[str, Any]
    if kind == "combo":
        members = [_schema(rng, is_31, depth + 1) for _ in range(rng.randint(1, 3))]
        schema = {rng.choice(["oneOf", "anyOf", "allOf"]): members}
    elif kind == "object":
        names = rng.sample(["a", "b", "c", "d"], rng.randint(1, 3))
        schema = {
            "type": "object",
            "properties": {n: _schema(rng, is_31, depth + 1) for n in names},
        }
        if rng.random() < 0.6:
            schema["required"] = rng.sample(names, rng.randint(0, len(names)))
        if rng.random() < 0.3:
            schema["additionalProperties"] = rng.choice([False, True, {"type": "integer"}])
    elif kind == "array":
        schema = {"type": "array", "items": _schema(rng, is_31, depth + 1)}
        if rng.random() < 0.4:
            schema["minItems"] = rng.randint(0, 2)
        if rng.random() < 0.3:
            schema["maxItems"] = rng.randint(1, 3)
    else:
        schema = {"type": kind}
        if kind in {"integer", "number"}:
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if rng.random() < 0.2:
                    schema[key] = rng.choice([0, 1, 2, 1.5])
            if is_31 is False and "exclusiveMinimum" in schema:
                schema["exclusiveMinimum"] = True
                schema.setdefault("minimum", 0)
            if is_31 is False and "exclusiveMaximum" in schema:
                schema["exclusiveMaximum"] = True
                schema.setdefault("maximum", 2)
            if kind == "integer" and rng.random() < 0.3:
                schema["format"] = rng.choice(["int32", "int64"])
        if kind == "string":
            roll = rng.random()
            if roll < 0.2:
                schema["format"] = rng.choice(["date-time", "email", "uuid", "date"])
            elif roll < 0.35:
                schema["pattern"] = rng.choice(["^[a-z]+$", "^A", "[0-9]"])
            if rng.random() < 0.3:
                schema["maxLength"] = rng.randint(0, 4)
            if rng.random() < 0.2:
                schema["minLength"] = rng.randint(1, 3)
        if rng.random() < 0.25:
            schema["enum"] = rng.sample([*_SCALARS, *_STRINGS], rng.randint(1, 4))
    if rng.random() < 0.25:
        if is_31:
            declared = schema.get("type")
            if isinstance(declared, str):
                schema["type"] = [declared, "null"]
        else:
            schema["nullable"] = True
    return schema


def _instance(rng: random.Random, schema: Any, depth: int = 0) -> Any:
    """A value near the schema: often valid, often just off."""
    if not isinstance(schema, dict) or depth > 4:
        return rng.choice(_SCALARS)
    if rng.random() < 0.15:
        return rng.choice([*_SCALARS, *_STRINGS, _UUID, [], {}])
    if "enum" in schema and rng.random() < 0.7:
        return rng.choice(schema["enum"])
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            return _instance(rng, rng.choice(schema[key]), depth + 1)
    declared = schema.get("type")
    kind = rng.choice(declared) if isinstance(declared, list) else declared
    if kind == "object":
        properties = schema.get("properties", {})
        value = {
            n: _instance(rng, s, depth + 1) for n, s in properties.items() if rng.random() < 0.8
        }
        if rng.random() < 0.2:
            value["extra"] = rng.choice(_SCALARS)
        return value
    if kind == "array":
        return [_instance(rng, schema.get("items"), depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "integer":
        return rng.choice([0, 1, 2, 3, 1.0, 2.0, True, -1, 2**40])
    if kind == "number":
        return rng.choice([0, 1, 1.5, 2.0, 3, -0.5, False])
    if kind == "string":
        return rng.choice([*_STRINGS, _UUID, "", "ab", "abcdef", "A1"])
    if kind == "boolean":
        return rng.choice([True, False, 0, 1])
    return rng.choice(_SCALARS)


def _generated(count: int) -> Iterator[Pair]:
    rng = random.Random(20250101)
    for version in ("3.1.0", "3.0.3"):
        is_31 = version.startswith("3.1")
        for index in range(count):
            shared = _schema(rng, is_31)
            schema = _schema(rng, is_31)
            if rng.random() < 0.3:
                schema = {"allOf": [{"$ref": "#/components/schemas/Shared"}]} | (
                    {"nullable": True} if not is_31 and rng.random() < 0.3 else {}
                )
            document = {
                "openapi": version,
                "info": {"title": f"Generated {index}", "version": "1"},
                "paths": {},
                "components": {"schemas": {"Shared": shared, "Main": schema}},
            }
            contract = Contract.from_document(document)
            for _ in range(4):
                target = shared if "allOf" in schema else schema
                yield contract, _instance(rng, target), copy.deepcopy(schema)


# -- the comparison ----------------------------------------------------------------------------


def _validator(contract: Contract, schema: Any) -> Any:
    base = "urn:shopgen:contract"
    if contract.is_31:
        cls: Any = jsonschema.Draft202012Validator
        spec = referencing.jsonschema.DRAFT202012
    else:
        cls, spec = OAS30Validator, referencing.jsonschema.DRAFT4
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(
        base, spec.create_resource(contract.document)
    )
    return cls(
        schema,
        registry=registry,
        _resolver=registry.resolver(base_uri=base),
        format_checker=cls.FORMAT_CHECKER,
    )


def _disagreements(pairs: list[Pair]) -> tuple[list[str], int]:
    """Pairs the fast path calls valid and jsonschema does not, and how many it called valid."""
    checks: dict[int, _PlainCheck] = {}
    wrong: list[str] = []
    fast = 0
    for contract, instance, schema in pairs:
        if not isinstance(schema, dict | bool):
            continue
        plain = checks.get(id(contract))
        if plain is None:
            plain = checks[id(contract)] = _PlainCheck(
                contract, _validator(contract, {}).FORMAT_CHECKER
            )
        if not plain.valid(instance, schema):
            continue
        fast += 1
        try:
            valid = _validator(contract, schema).is_valid(instance)
        except (referencing.exceptions.Unresolvable, jsonschema.exceptions.SchemaError):
            continue  # a schema the validator cannot apply: the rule reports nothing either way
        if not valid:
            wrong.append(f"{contract.openapi_version}: {instance!r} against {schema!r}")
    return wrong, fast


def test_fast_path_agrees_on_every_fixture_example() -> None:
    pairs = [pair for contract in _fixture_contracts() for pair in _examples(contract)]
    wrong, fast = _disagreements(pairs)
    assert wrong == []
    # The fast path answers most of them: the comparison is not vacuous.
    assert len(pairs) > 100 and fast > len(pairs) / 2, (len(pairs), fast)


def test_fast_path_agrees_on_generated_pairs() -> None:
    pairs = list(_generated(200))
    wrong, fast = _disagreements(pairs)
    assert wrong == [], "\n".join(wrong[:20])
    assert len(pairs) >= 1000 and fast > 150, (len(pairs), fast)


@pytest.mark.parametrize(
    ("version", "schema", "instance"),
    [
        # jsonschema counts 1.0 as an integer (2020-12), so it matches both branches.
        ("3.1.0", {"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1.0),
        ("3.1.0", {"oneOf": [{"enum": [1]}, {"type": "number"}]}, 1.0),
        ("3.0.3", {"oneOf": [{"enum": [1]}, {"type": "number"}]}, 1.0),
    ],
    ids=["integral-float-one-of", "enum-one-of-31", "enum-one-of-30"],
)
def test_one_of_with_an_integral_float_is_left_to_jsonschema(
    version: str, schema: dict[str, Any], instance: Any
) -> None:
    document = {"openapi": version, "info": {"title": "x", "version": "1"}, "paths": {}}
    contract = Contract.from_document(document)
    wrong, _ = _disagreements([(contract, instance, schema)])
    assert wrong == []
