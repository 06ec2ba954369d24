"""Generated values: valid against their schema, short enough to read, the same per seed."""

from __future__ import annotations

import re
from random import Random
from typing import Any

import pytest

from shopgen.contract import Contract
from shopgen.mock._generate import ValueGenerator
from shopgen.mock._regex import string_for_pattern

from .conftest import Judge

PATTERNS = [
    r"^[A-Z]{3}$",
    r"^[0-9A-Za-z_|*-]{6,32}$",
    r"^prepay_id=.+$",
    r"^[^@\s]+@[^@\s]+$",
    r"^[a-z0-9]+(-[a-z0-9]+)*$",
    r"(\d{2})-\1",
    r"^(?:red|green|blue)\d?$",
    r"\w+\.\W",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_pattern_strings_match_and_stay_readable(pattern: str) -> None:
    for seed in range(20):
        text = string_for_pattern(pattern, Random(seed))
        assert text is not None and re.search(pattern, text), (pattern, text)
        assert len(text) <= 40 and text.isprintable()


def test_patterns_it_cannot_satisfy_give_none() -> None:
    assert string_for_pattern(r"(?=a)b", Random(0)) is None
    assert string_for_pattern(r"[", Random(0)) is None


SCHEMAS: list[dict[str, Any]] = [
    {"type": "integer", "minimum": 5, "maximum": 9},
    {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 7},
    {"type": "number", "minimum": 0.5, "maximum": 0.75},
    {"type": "string", "minLength": 30, "maxLength": 31},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "email"},
    {"type": "string", "format": "uuid"},
    {"type": ["string", "null"], "pattern": "^SKU-[0-9]{4}$"},
    {
        "type": "array",
        "minItems": 3,
        "maxItems": 3,
        "uniqueItems": True,
        "items": {"type": ["boolean", "null"], "enum": [True, False, None]},
    },
    {
        "type": "array",
        "minItems": 2,
        "uniqueItems": True,
        "items": {"type": "integer", "minimum": 1, "maximum": 2},
    },
    {"type": "object", "minProperties": 2, "additionalProperties": {"type": "string"}},
    {
        "anyOf": [
            {"type": "null"},
            {"type": "object", "required": ["a"], "properties": {"a": {"const": 1}}},
        ]
    },
    {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"properties": {"b": {"type": "string", "maxLength": 2}}, "required": ["b"]},
        ]
    },
    {"type": "object", "properties": {"secret": {"type": "string", "writeOnly": True}}},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: str(s)[:40])
def test_generated_values_validate(schema: dict[str, Any]) -> None:
    contract = Contract.from_document(
        {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    )
    judge = Judge(contract)
    for seed in range(10):
        value = ValueGenerator(contract, seed).generate(schema, "here")
        assert not judge.problems(schema, value), (schema, value)
    if "writeOnly" in str(schema):
        assert "secret" not in ValueGenerator(contract, 0).generate(schema, "here")


def test_the_canonical_schemas_generate_valid_and_seeded(shop: Contract) -> None:
    judge = Judge(shop)
    for name, schema in shop.components("schemas").items():
        first = ValueGenerator(shop, 1).generate(schema, name)
        assert first == ValueGenerator(shop, 1).generate(schema, name)
        assert not judge.problems(schema, first), name
