"""Values generated from schemas, the same for the same seed.

Where a schema carries an `example`, `examples`, `const`, `default` or `enum`, that value is
used as written; otherwise one is made up within the schema's bounds (type, format, pattern,
lengths, ranges). Every value is drawn from a `Random` seeded with the mock's seed and the place
it is generated for, so an answer does not change between requests, restarts or the order in
which operations are called, only when the seed or the contract changes.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any, Literal

from shopgen.contract import Contract

from ._regex import string_for_pattern

__all__ = ["Direction", "ValueGenerator"]

Direction = Literal["request", "response"]
"""Responses leave out `writeOnly` properties, requests `readOnly` ones."""

_MAX_DEPTH = 8
_BASE_TIME = datetime(2025, 3, 14, 9, 30, 15, tzinfo=UTC)
_WORDS = (
    "tea",
    "jade",
    "river",
    "amber",
    "cloud",
    "maple",
    "stone",
    "silk",
    "pine",
    "lotus",
    "harbor",
    "ember",
)
_NAMED_STRINGS = {
    "currency": "CNY",
    "email": "emma.schmidt@example.com",
    "locale": "zh-CN",
    "country": "CN",
}


class ValueGenerator:
    """Deterministic values for the schemas of one contract."""

    def __init__(self, contract: Contract, seed: int) -> None:
        self._contract = contract
        self._seed = seed

    def generate(self, schema: Any, key: str, direction: Direction = "response") -> Any:
        """A value valid against `schema`; `key` names the place, so each gets its own."""
        rng = Random(f"{self._seed}:{key}")
        return _Walk(self._contract, rng, direction).value(schema, 0, None)


class _Walk:
    def __init__(self, contract: Contract, rng: Random, direction: Direction) -> None:
        self.contract = contract
        self.rng = rng
        self.direction = direction

    def value(self, schema: Any, depth: int, name: str | None, variant: int = 0) -> Any:
        """`variant` picks another enum member or example: unique array items need them."""
        node = self.contract.deref(schema)
        if not isinstance(node, dict):
            return None if node is False else {}
        for keyword in ("const",):
            if keyword in node:
                return node[keyword]
        if "example" in node and not variant:
            return node["example"]
        examples = node.get("examples")
        if isinstance(examples, list) and examples and variant < len(examples):
            return examples[variant]
        if "default" in node and node["default"] is not None and not variant:
            return node["default"]
        enum = node.get("enum")
        if isinstance(enum, list) and enum:
            ordered = [v for v in enum if v is not None] + [v for v in enum if v is None]
            return ordered[variant % len(ordered)]
        if isinstance(node.get("allOf"), list):
            return self.all_of(node, depth, name)
        for keyword in ("oneOf", "anyOf"):
            members = node.get(keyword)
            if isinstance(members, list) and members:
                return self.value(self.pick_member(members), depth + 1, name)
        kind = self.type_of(node)
        if kind == "boolean" and variant:
            return variant % 2 == 1
        if kind == "object":
            return self.object(node, depth)
        if kind == "array":
            return self.array(node, depth, name)
        if kind == "string":
            return self.string(node, name)
        if kind == "integer":
            return self.integer(node)
        if kind == "number":
            return self.number(node)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return {}

    # -- composition -------------------------------------------------------------------------

    def pick_member(self, members: list[Any]) -> Any:
        """The first alternative that is not just `null`: a value says more than a null."""
        for member in members:
            if self.type_of(self.contract.deref(member)) != "null":
                return member
        return members[0]

    def all_of(self, node: dict[str, Any], depth: int, name: str | None) -> Any:
        parts = list(self.flatten(node, 0))
        if any(self.type_of(part) == "object" for part in parts):
            return self.object_from_parts(parts, depth)
        merged: dict[str, Any] = {}
        for part in parts:
            merged.update({k: v for k, v in part.items() if k != "allOf"})
        return self.value(merged, depth + 1, name)

    def flatten(self, node: Any, depth: int) -> Iterator[dict[str, Any]]:
        node = self.contract.deref(node)
        if not isinstance(node, dict) or depth > _MAX_DEPTH:
            return
        yield node
        members = node.get("allOf")
        for member in members if isinstance(members, list) else []:
            yield from self.flatten(member, depth + 1)

    def type_of(self, node: Any) -> str | None:
        if not isinstance(node, dict):
            return None
        declared = node.get("type")
        if isinstance(declared, list):
            concrete = [t for t in declared if t != "null"]
            return str(concrete[0]) if concrete else "null"
        if isinstance(declared, str):
            return declared
        if "properties" in node or "additionalProperties" in node:
            return "object"
        if "items" in node:
            return "array"
        return None

    # -- objects and arrays ------------------------------------------------------------------

    def object(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        return self.object_from_parts([node], depth)

    def object_from_parts(self, parts: list[dict[str, Any]], depth: int) -> dict[str, Any]:
        properties: dict[str, list[Any]] = {}
        required: set[str] = set()
        for part in parts:
            props = part.get("properties")
            if isinstance(props, dict):
                for prop, schema in props.items():
                    properties.setdefault(str(prop), []).append(schema)
            if isinstance(part.get("required"), list):
                required.update(str(r) for r in part["required"])
        result: dict[str, Any] = {}
        for prop, schemas in properties.items():
            if prop not in required and depth >= _MAX_DEPTH:
                continue
            if self.hidden(schemas) and prop not in required:
                continue
            schema = schemas[0] if len(schemas) == 1 else {"allOf": schemas}
            result[prop] = self.value(schema, depth + 1, prop)
        for prop in sorted(required - properties.keys()):
            result[prop] = None
        minimum = max((p.get("minProperties", 0) for p in parts), default=0)
        index = 0
        while len(result) < minimum:
            result[f"{self.rng.choice(_WORDS)}_{index}"] = self.rng.choice(_WORDS)
            index += 1
        return result

    def hidden(self, schemas: list[Any]) -> bool:
        flag = "writeOnly" if self.direction == "response" else "readOnly"
        return any(self.contract.deref(s).get(flag) is True for s in schemas if s is not None)

    def array(self, node: dict[str, Any], depth: int, name: str | None) -> list[Any]:
        low = _int(node.get("minItems"), 0)
        high = _int(node.get("maxItems"), low + 2)
        count = min(max(low, 1 if depth < _MAX_DEPTH else low), high)
        items = node.get("items", {})
        values: list[Any] = []
        attempt = 0
        while len(values) < count and attempt < count * 8 + 8:
            attempt += 1
            item = self.value(items, depth + 1, name, variant=attempt - 1)
            if node.get("uniqueItems") is True and item in values:
                if isinstance(item, str):
                    item = f"{item}-{len(values)}"
                if item in values:
                    continue
            values.append(item)
        return values

    # -- scalars -----------------------------------------------------------------------------

    def string(self, node: dict[str, Any], name: str | None) -> str:
        low = _int(node.get("minLength"), 0)
        high = _int(node.get("maxLength"), max(low, 64))
        text = self.formatted(node.get("format"))
        pattern = node.get("pattern")
        if text is None and name in _NAMED_STRINGS:
            named = _NAMED_STRINGS[name]
            if not isinstance(pattern, str) or _matches(pattern, named):
                text = named
        if text is None and isinstance(pattern, str):
            for _ in range(4):
                text = string_for_pattern(pattern, self.rng)
                if text is None or low <= len(text) <= high:
                    break
        if text is None:
            words = [self.rng.choice(_WORDS) for _ in range(3)]
            text = " ".join(words)
        if len(text) < low:
            text += "".join(self.rng.choice(string.ascii_lowercase) for _ in range(low - len(text)))
        if len(text) > high:
            text = text[:high]
        return text

    def formatted(self, fmt: Any) -> str | None:
        if fmt == "date-time":
            moment = _BASE_TIME + timedelta(minutes=self.rng.randint(0, 60 * 24 * 30))
            return moment.isoformat().replace("+00:00", "Z")
        if fmt == "date":
            return (_BASE_TIME + timedelta(days=self.rng.randint(0, 60))).date().isoformat()
        if fmt == "time":
            return f"{self.rng.randint(8, 20):02d}:{self.rng.randint(0, 59):02d}:00Z"
        if fmt in ("email", "idn-email"):
            return f"{self.rng.choice(_WORDS)}.{self.rng.choice(_WORDS)}@example.com"
        if fmt in ("uri", "url", "iri", "uri-reference"):
            word, number = self.rng.choice(_WORDS), self.rng.randint(1, 999)
            return f"https://cdn.example-shop.com/{word}/{number}.jpg"
        if fmt == "hostname":
            return f"{self.rng.choice(_WORDS)}.example.com"
        if fmt == "uuid":
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        if fmt == "ipv4":
            return f"192.0.2.{self.rng.randint(1, 254)}"
        if fmt == "ipv6":
            return f"2001:db8::{self.rng.randint(1, 0xFFFF):x}"
        if fmt == "password":
            return "correct-horse-battery"
        if fmt == "byte":
            return "c2hvcGdlbg=="
        return None

    def integer(self, node: dict[str, Any]) -> int:
        low, high = _bounds(node, integer=True)
        if low is None and high is None:
            low, high = 1, 1000
        elif low is None:
            assert high is not None
            low = high - 1000
        elif high is None:
            high = low + 1000
        assert low is not None and high is not None
        step = node.get("multipleOf")
        if isinstance(step, int) and step > 0:
            first = -(-int(low) // step) * step
            if first > high:
                return int(first)
            return int(first + step * self.rng.randint(0, max(0, (int(high) - first) // step)))
        return self.rng.randint(int(low), max(int(low), int(high)))

    def number(self, node: dict[str, Any]) -> float:
        low, high = _bounds(node, integer=False)
        lo = float(low) if low is not None else 0.0
        hi = float(high) if high is not None else lo + 1000.0
        return round(self.rng.uniform(lo, hi), 2) if hi > lo else lo


def _int(value: Any, fallback: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else fallback


def _bounds(node: dict[str, Any], *, integer: bool) -> tuple[float | None, float | None]:
    low = node.get("minimum")
    high = node.get("maximum")
    low = low if isinstance(low, int | float) and not isinstance(low, bool) else None
    high = high if isinstance(high, int | float) and not isinstance(high, bool) else None
    nudge = 1 if integer else 0.01
    exclusive_low, exclusive_high = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    if exclusive_low is True and low is not None:  # OpenAPI 3.0
        low += nudge
    elif isinstance(exclusive_low, int | float) and not isinstance(exclusive_low, bool):
        low = exclusive_low + nudge
    if exclusive_high is True and high is not None:
        high -= nudge
    elif isinstance(exclusive_high, int | float) and not isinstance(exclusive_high, bool):
        high = exclusive_high - nudge
    if integer:
        import math

        low = math.ceil(low) if low is not None else None
        high = math.floor(high) if high is not None else None
    return low, high


def _matches(pattern: str, text: str) -> bool:
    import re

    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False
