"""Comparing two schemas in one direction: what a client sends, or what it reads.

A request schema may only widen: anything a client sent before must still be accepted, so a
removed enum value, a lower `maxLength` or a new required property breaks. A response schema may
only narrow: anything the server returns must still be something clients decode, so a new enum
value, a new type, `null` or a looser bound breaks, and a removed property breaks the code that
reads it.

Refs are followed and `allOf` members merged. A pair of referenced schemas (old ref target, new
ref target, direction) is compared once and memoised; what it contains and which pairs it refers
to form a graph, walked per operation with a visited set, so cycles end and a change inside a
shared component is found once and attributed to every operation that reaches it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from shopgen.contract import Contract, split_pointer

from ._collect import Found, Side, code

__all__ = ["Direction", "SchemaDiffer"]

Direction = Literal["request", "response"]
_Key = tuple[str, str, Direction]

_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_MAX_ALLOF_DEPTH = 32


@dataclass
class _Pair:
    """The changes written directly in one compared pair, and the ref'd pairs it contains."""

    found: list[Found] = field(default_factory=list)
    children: list[_Key] = field(default_factory=list)


@dataclass(frozen=True)
class _At:
    """Where the walk stands: the schema pair's pointers and the human path to it."""

    old: str
    new: str
    label: str
    """`request body`, `response 200`, `query parameter \\`limit\\``, `schema \\`Order\\``."""
    path: str = ""
    """The property path inside `label`: `items[].price`."""

    def where(self) -> str:
        return f"{self.label} property {code(self.path)}" if self.path else self.label

    @classmethod
    def of(cls, old: str, new: str, fallback: str) -> _At:
        """Inside a component, named by the component and the path from its root, so one place
        has one name however an operation reaches it (a ref, an allOf member, a copy)."""
        place = _place(new) or _place(old)
        if place is None:
            return cls(old, new, fallback)
        return cls(old, new, f"schema {code(place[0])}", place[1])

    def down(self, old: str, new: str, step: str) -> _At:
        if _place(new) is not None:
            return _At.of(old, new, self.label)
        if step.startswith("["):
            path = f"{self.path}{step}" if self.path else step
        else:
            path = f"{self.path}.{step}" if self.path else step
        return _At(old, new, self.label, path)


class SchemaDiffer:
    def __init__(self, side: Side) -> None:
        self.side = side
        self._pairs: dict[_Key, _Pair] = {}
        self._pending: dict[_Key, tuple[Any, Any]] = {}

    def compare(
        self,
        old: Any,
        new: Any,
        old_pointer: str,
        new_pointer: str,
        direction: Direction,
        label: str,
    ) -> list[Found]:
        """Every change between two schemas and the schemas they reach, each once."""
        root = _Pair()
        self._walk(old, new, _At(old_pointer, new_pointer, label), direction, root)
        found = list(root.found)
        seen: set[_Key] = set()
        stack = list(root.children)
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            pair = self._pair(key)
            found += pair.found
            stack += pair.children
        return found

    # -- the memoised graph of ref'd pairs -------------------------------------------------------

    def _pair(self, key: _Key) -> _Pair:
        pair = self._pairs.get(key)
        if pair is None:
            old, new = self._pending.pop(key)
            pair = self._pairs[key] = _Pair()
            at = _At.of(key[0], key[1], f"schema at {code(key[1])}")
            self._walk(old, new, at, key[2], pair, top=True)
        return pair

    def _resolve(self, contract: Contract, node: Any, pointer: str) -> tuple[Any, str, bool]:
        if not (isinstance(node, dict) and "$ref" in node):
            return node, pointer, False
        target, resolved = contract.deref_pointer(node, pointer)
        if resolved == pointer:  # in another file: key it by the ref's text
            resolved = f"{pointer}->{node['$ref']}"
        return target, resolved, True

    # -- one pair ----------------------------------------------------------------------------------

    def _walk(
        self, old: Any, new: Any, at: _At, direction: Direction, into: _Pair, *, top: bool = False
    ) -> None:
        old, old_pointer, old_ref = self._resolve(self.side.old, old, at.old)
        new, new_pointer, new_ref = self._resolve(self.side.new, new, at.new)
        if (old_ref or new_ref) and not top:
            key: _Key = (old_pointer, new_pointer, direction)
            if key not in self._pairs and key not in self._pending:
                self._pending[key] = (old, new)
            into.children.append(key)
            return
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        at = _At(old_pointer, new_pointer, at.label, at.path)
        emit = into.found.append
        old_types = _types(self.side.old, old)
        new_types = _types(self.side.new, new)
        for found in _type_changes(old_types, new_types, at, direction):
            emit(found)
        if old_types and new_types and not any(_covers(new_types, t) for t in old_types):
            return  # nothing in common: the old keywords say nothing about the new values
        for found in _enum_changes(old, new, at, direction):
            emit(found)
        for found in _constraint_changes(old, new, at, direction):
            emit(found)
        old_kind, new_kind = _composition(old), _composition(new)
        if old_kind != new_kind and (old_kind is None or new_kind is None):
            # `Category` became `oneOf: [Category, Product]`, or back: compare the alternatives.
            keyword = old_kind or new_kind or "oneOf"
            old = old if old_kind else {keyword: [_itself(old, old_pointer)]}
            new = new if new_kind else {keyword: [_itself(new, new_pointer)]}
            self._variants(old, new, at, direction, into)
            return
        structured = {"object", "array"}
        if old_types and new_types and not (old_types & new_types & structured):
            return
        self._properties(old, new, at, direction, into)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self._walk(
                old["items"],
                new["items"],
                at.down(f"{at.old}/items", f"{at.new}/items", "[]"),
                direction,
                into,
            )
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self._walk(
                old_extra,
                new_extra,
                at.down(f"{at.old}/additionalProperties", f"{at.new}/additionalProperties", "*"),
                direction,
                into,
            )
        self._variants(old, new, at, direction, into)

    def _properties(
        self, old: dict[str, Any], new: dict[str, Any], at: _At, direction: Direction, into: _Pair
    ) -> None:
        old_props, old_required = _object_view(self.side.old, old, at.old, direction)
        new_props, new_required = _object_view(self.side.new, new, at.new, direction)
        removed = [name for name in old_props if name not in new_props]
        added = [name for name in new_props if name not in old_props]
        emit = into.found.append
        holder = f"{at.new}/properties"
        if direction == "response" and len(removed) == 1 and len(added) == 1:
            old_schema = self.side.old.deref(old_props[removed[0]][0])
            new_schema = self.side.new.deref(new_props[added[0]][0])
            if old_schema == new_schema:
                emit(
                    Found(
                        "response-property-renamed",
                        at.where(),
                        f"property {code(removed[0])} → {code(added[0])}",
                        old_props[removed[0]][1],
                        new_props[added[0]][1],
                    )
                )
                removed, added = [], []
        for name in removed:
            declared = self._declaration(old_props[name][1], self.side.new) or at
            emit(
                Found(
                    f"{direction}-property-removed",
                    declared.where(),
                    f"property {code(name)} removed",
                    old_props[name][1],
                    f"{declared.new}/properties" if declared is not at else holder,
                )
            )
        for name in added:
            if direction == "request" and name in new_required:
                kind = "request-property-added-required"
                detail = f"required property {code(name)} added"
            else:
                kind = f"{direction}-property-added"
                detail = f"property {code(name)} added"
            declared = self._declaration(new_props[name][1], self.side.old) or at
            emit(Found(kind, declared.where(), detail, declared.old, new_props[name][1]))
        for name, (old_schema, old_pointer) in old_props.items():
            if name not in new_props:
                continue
            new_schema, new_pointer = new_props[name]
            was, now = name in old_required, name in new_required
            if was != now:
                state = "required" if now else "optional"
                detail = f"property {code(name)} became {state}"
                emit(
                    Found(
                        f"{direction}-property-became-{state}",
                        at.where(),
                        detail,
                        old_pointer,
                        new_pointer,
                    )
                )
            self._walk(
                old_schema, new_schema, at.down(old_pointer, new_pointer, name), direction, into
            )

    def _declaration(self, property_pointer: str, other: Contract) -> _At | None:
        """The component schema declaring a property, when the other version has it too."""
        parts = split_pointer(property_pointer)
        if len(parts) < 4 or parts[-2] != "properties" or _place(property_pointer) is None:
            return None
        declaring = property_pointer[: property_pointer.rindex("/properties/")]
        if other.references.lookup(f"#{declaring}") is None:
            return None
        return _At.of(declaring, declaring, declaring)

    def _variants(
        self, old: dict[str, Any], new: dict[str, Any], at: _At, direction: Direction, into: _Pair
    ) -> None:
        for keyword in ("oneOf", "anyOf"):
            old_members, new_members = old.get(keyword), new.get(keyword)
            if not isinstance(old_members, list) or not isinstance(new_members, list):
                continue
            old_keyed = dict(_variant_keys(old_members, f"{at.old}/{keyword}"))
            new_keyed = dict(_variant_keys(new_members, f"{at.new}/{keyword}"))
            for key, (_, pointer) in old_keyed.items():
                if key not in new_keyed:
                    kind = f"{direction}-variant-removed"
                    detail = f"{keyword} alternative {code(key)} removed"
                    into.found.append(Found(kind, at.where(), detail, pointer, at.new))
            for key, (_, pointer) in new_keyed.items():
                if key not in old_keyed:
                    kind = f"{direction}-variant-added"
                    detail = f"{keyword} alternative {code(key)} added"
                    into.found.append(Found(kind, at.where(), detail, at.old, pointer))
            for key, (old_member, old_pointer) in old_keyed.items():
                if key in new_keyed:
                    new_member, new_pointer = new_keyed[key]
                    step = f"[{keyword} {key}]"
                    down = at.down(old_pointer, new_pointer, step)
                    self._walk(old_member, new_member, down, direction, into)


# -- reading one schema ------------------------------------------------------------------------


def _place(pointer: str) -> tuple[str, str] | None:
    """(`Order`, `lines[].sku`) for `/components/schemas/Order/properties/lines/items/...`."""
    if not pointer.startswith("/components/schemas/"):
        return None
    name, *rest = split_pointer(pointer)[2:]
    path = ""
    index = 0
    while index < len(rest):
        part = rest[index]
        if part == "properties" and index + 1 < len(rest):
            path = f"{path}.{rest[index + 1]}" if path else rest[index + 1]
            index += 2
        elif part in ("allOf", "anyOf", "oneOf", "prefixItems"):
            index += 2  # a member of a composition adds no property to the path
        else:
            path += {"items": "[]", "additionalProperties": ".*"}.get(part, "")
            index += 1
    return name, path


def _types(contract: Contract, schema: dict[str, Any]) -> set[str]:
    types = contract.schema_types(schema)
    if "enum" in schema and isinstance(schema["enum"], list) and None in schema["enum"]:
        types.add("null")
    return types


def _covers(types: set[str], wanted: str) -> bool:
    return wanted in types or (wanted == "integer" and "number" in types)


def _show(values: Any) -> str:
    if isinstance(values, (set, frozenset, list, tuple)):
        return ", ".join(f"{code(v)}" for v in sorted(values, key=str)) or "`any`"
    return f"{code(json.dumps(values) if not isinstance(values, str) else values)}"


def _type_changes(old: set[str], new: set[str], at: _At, direction: Direction) -> Iterator[Found]:
    if old == new:
        return
    if not old:  # "any type" became something: only narrower
        lost, gained = {"any"}, set()
    elif not new:
        lost, gained = set(), {"any"}
    else:
        lost = {t for t in old if not _covers(new, t)}
        gained = {t for t in new if not _covers(old, t)}
    detail = f"type {_show(old or {'any'})} → {_show(new or {'any'})}"
    if direction == "response" and "null" in gained:
        yield Found("response-property-became-nullable", at.where(), detail, at.old, at.new)
        gained.discard("null")
        if not gained:
            return
    if direction == "request":
        if lost:
            yield Found("request-type-narrowed", at.where(), detail, at.old, at.new)
        elif gained:
            yield Found("request-type-widened", at.where(), detail, at.old, at.new)
    elif gained:
        yield Found("response-type-widened", at.where(), detail, at.old, at.new)
    elif lost:
        yield Found("response-type-narrowed", at.where(), detail, at.old, at.new)


def _enum_changes(
    old: dict[str, Any], new: dict[str, Any], at: _At, direction: Direction
) -> Iterator[Found]:
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if isinstance(old_enum, list) and isinstance(new_enum, list):
        old_values = {json.dumps(v, sort_keys=True): v for v in old_enum}
        new_values = {json.dumps(v, sort_keys=True): v for v in new_enum}
        removed = [v for k, v in old_values.items() if k not in new_values and v is not None]
        added = [v for k, v in new_values.items() if k not in old_values and v is not None]
        if removed:
            detail = f"enum value {_show(removed)} removed"
            kind = f"enum-value-removed-{direction}"
            yield Found(kind, at.where(), detail, f"{at.old}/enum", f"{at.new}/enum")
        if added:
            detail = f"enum value {_show(added)} added"
            kind = f"enum-value-added-{direction}"
            yield Found(kind, at.where(), detail, f"{at.old}/enum", f"{at.new}/enum")
    elif isinstance(new_enum, list) and "enum" not in old:
        detail = f"enum {_show(new_enum)} added"
        yield _bound(direction, tighter=True, at=at, detail=detail, keyword="enum")
    elif isinstance(old_enum, list) and "enum" not in new:
        detail = f"enum {_show(old_enum)} removed"
        yield _bound(direction, tighter=False, at=at, detail=detail, keyword="enum")


def _bound(direction: Direction, *, tighter: bool, at: _At, detail: str, keyword: str) -> Found:
    kind = f"{direction}-constraint-{'tightened' if tighter else 'loosened'}"
    return Found(kind, at.where(), detail, f"{at.old}/{keyword}", f"{at.new}/{keyword}")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _constraint_changes(
    old: dict[str, Any], new: dict[str, Any], at: _At, direction: Direction
) -> Iterator[Found]:
    for keyword in (*_UPPER, *_LOWER):
        was, now = _number(old.get(keyword)), _number(new.get(keyword))
        if was == now:
            continue
        if was is None or now is None:
            tighter = was is None
        else:
            tighter = now < was if keyword in _UPPER else now > was
        detail = (
            f"{code(keyword)} {_show(old.get(keyword, 'none'))} → {_show(new.get(keyword, 'none'))}"
        )
        yield _bound(direction, tighter=tighter, at=at, detail=detail, keyword=keyword)
    for keyword in ("pattern", "format"):
        was_text, now_text = old.get(keyword), new.get(keyword)
        if was_text == now_text:
            continue
        detail = f"{code(keyword)} {_show(was_text or 'none')} → {_show(now_text or 'none')}"
        # A changed pattern or format is tighter for what it newly refuses and looser for what
        # it newly admits; both directions break somebody, so call it the breaking one.
        if was_text is None:
            tighter = True
        elif now_text is None:
            tighter = False
        else:
            tighter = direction == "request"
        yield _bound(direction, tighter=tighter, at=at, detail=detail, keyword=keyword)
    if old.get("uniqueItems") is not True and new.get("uniqueItems") is True:
        detail = "`uniqueItems` `true` added"
        yield _bound(direction, tighter=True, at=at, detail=detail, keyword="uniqueItems")
    if direction == "request" and old.get("additionalProperties") is not False:
        if new.get("additionalProperties") is False:
            detail = "`additionalProperties` → `false`"
            yield _bound(
                direction, tighter=True, at=at, detail=detail, keyword="additionalProperties"
            )


def _object_view(
    contract: Contract, schema: dict[str, Any], pointer: str, direction: Direction, depth: int = 0
) -> tuple[dict[str, tuple[Any, str]], set[str]]:
    """Properties (schema, pointer) and required names, allOf merged, refs followed.

    A readOnly property is not part of a request, a writeOnly one not part of a response.
    """
    properties: dict[str, tuple[Any, str]] = {}
    required: set[str] = set()
    if depth > _MAX_ALLOF_DEPTH:
        return properties, required
    own = schema.get("properties")
    if isinstance(own, dict):
        for name, prop in own.items():
            target = contract.deref(prop)
            hidden = "readOnly" if direction == "request" else "writeOnly"
            if isinstance(target, dict) and target.get(hidden) is True:
                continue
            properties[str(name)] = (prop, f"{pointer}/properties/{_escape(str(name))}")
    if isinstance(schema.get("required"), list):
        required.update(r for r in schema["required"] if isinstance(r, str))
    members = schema.get("allOf")
    for index, member in enumerate(members if isinstance(members, list) else []):
        node, member_pointer = contract.deref_pointer(member, f"{pointer}/allOf/{index}")
        if isinstance(node, dict):
            props, req = _object_view(contract, node, member_pointer, direction, depth + 1)
            for name, value in props.items():
                properties.setdefault(name, value)
            required |= req
    return properties, required


def _composition(schema: dict[str, Any]) -> str | None:
    for keyword in ("oneOf", "anyOf"):
        if isinstance(schema.get(keyword), list):
            return keyword
    return None


def _itself(schema: dict[str, Any], pointer: str) -> Any:
    """A plain schema as the one alternative of a oneOf: a ref to it where it has a place."""
    return {"$ref": f"#{pointer}"} if pointer.startswith("/components/schemas/") else schema


def _variant_keys(members: list[Any], pointer: str) -> Iterator[tuple[str, tuple[Any, str]]]:
    """oneOf/anyOf members keyed by the schema they ref, else by position."""
    for index, member in enumerate(members):
        ref = member.get("$ref") if isinstance(member, dict) else None
        key = ref.rsplit("/", 1)[-1] if isinstance(ref, str) else f"#{index}"
        yield key, (member, f"{pointer}/{index}")


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
