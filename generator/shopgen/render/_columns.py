"""A property the contract adds to a table, as a database column: its type, nullability,
default, and the lines that declare it in the model mixin and in a migration.

Types follow the JSON Schema: strings with a `maxLength` up to 255 (and enums) are `String`,
other strings `Text`, `date`/`date-time` are `Date`/aware `DateTime`, integers are `BigInteger`
unless `int32` or bounded within 32 bits (and not money, `*_cents`), since the service accepts
any int64 where the contract names no format, numbers are `Float` (what the wire carries:
money is integer cents), arrays and objects are `JSON`.
A column is nullable when any schema admits null or the response may leave the field out.
A non-null column always has a default, so rows the template creates without a request body
(WeChat sign-in, Shopify orders) stay valid: the contract's `default`, else the zero value of
its type (0, "", false, [], {}, the first enum value).
"""

from __future__ import annotations

import json
import keyword
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shopgen.contract import Contract
from shopgen.errors import UserError

from ._operations import _py_repr, snake_case

__all__ = [
    "Column",
    "Kind",
    "build_column",
    "frozenset_literal",
    "isort_key",
    "nullable_member",
    "python_literal",
    "schema_kind",
    "tuple_literal",
]

_STRING_LIMIT = 255
_INT32 = 2**31 - 1

_INDENT = "    "
_LINE_LENGTH = 100

# Names a declarative model reserves for itself.
_RESERVED = frozenset({"metadata", "registry", "query", "type_annotation_map"})


@dataclass(frozen=True, slots=True)
class Kind:
    """What a JSON Schema property is stored as."""

    annotation: str
    model_type: str
    migration_type: str
    zero: Any = None
    has_zero: bool = True
    json: bool = False


@dataclass(frozen=True, slots=True)
class Column:
    """One extra field of a table, ready to print in the model and the migration."""

    name: str
    kind: Kind
    nullable: bool
    default: Any
    has_default: bool
    writable: bool

    @property
    def json(self) -> bool:
        return self.kind.json

    @property
    def annotation(self) -> str:
        return f"{self.kind.annotation} | None" if self.nullable else self.kind.annotation

    def python_default(self) -> str | None:
        if not self.has_default or self.default is None:
            return "utcnow" if self.kind.annotation == "datetime" and not self.nullable else None
        if self.default == [] or self.default == {}:
            return type(self.default).__name__
        if isinstance(self.default, list | dict):
            return f"lambda: {python_literal(self.default)}"
        return python_literal(self.default)

    def server_default(self) -> str | None:
        if not self.has_default or self.default is None:
            return None
        if isinstance(self.default, bool):
            # Literal SQL both databases read, and what autogenerate copies into a revision
            # (`false()` would be rendered for the database it ran on: `0` breaks PostgreSQL).
            return 'text("true")' if self.default else 'text("false")'
        if self.kind.json:
            return _py_repr(json.dumps(self.default, ensure_ascii=False))
        return _py_repr(str(self.default))

    @property
    def mapped_line(self) -> str:
        """`brand: Mapped[str | None] = mapped_column(String(100))`"""
        args = [self.kind.model_type]
        default = self.python_default()
        if default is not None:
            args.append(f"default={default}")
        server = self.server_default()
        if server is not None:
            args.append(f"server_default={server}")
        head = f"{self.name}: Mapped[{self.annotation}] = mapped_column("
        # Printed at the class body's indentation, wrapped as ruff format would wrap it.
        if len(_INDENT) + len(head) + len(", ".join(args)) + 1 <= _LINE_LENGTH:
            return f"{head}{', '.join(args)})"
        if 2 * len(_INDENT) + len(", ".join(args)) <= _LINE_LENGTH:
            return f"{head}\n{_INDENT * 2}{', '.join(args)}\n{_INDENT})"
        inner = "".join(f"{_INDENT * 2}{arg},\n" for arg in args)
        return f"{head}\n{inner}{_INDENT})"

    @property
    def migration_line(self) -> str:
        """`sa.Column("brand", sa.String(length=100), nullable=True),`"""
        args = [_py_repr(self.name), f"sa.{self.kind.migration_type}"]
        server = self.server_default()
        if server is not None:
            prefix = "sa." if server.startswith("text(") else ""
            args.append(f"server_default={prefix}{server}")
        args.append(f"nullable={self.nullable}")
        return f"sa.Column({', '.join(args)}),"


def _bound(schema: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = schema.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def frozenset_literal(names: Iterable[str]) -> str:
    """`frozenset({"a", "b"})`, or `frozenset()` for none."""
    inner = ", ".join(_py_repr(name) for name in names)
    return f"frozenset({{{inner}}})" if inner else "frozenset()"


def tuple_literal(names: Iterable[str], indent: int = 0, after: int = 0) -> str:
    """`("a", "b")`, `("a",)` or `()`; one name a line, as ruff formats it, when the line
    (`indent` columns before the literal, the assignment's `after` columns of text) would
    pass the line length."""
    items = [_py_repr(name) for name in names]
    if len(items) == 1:
        return f"({items[0]},)"
    flat = f"({', '.join(items)})"
    if indent + after + len(flat) <= _LINE_LENGTH:
        return flat
    inner = "".join(f"{' ' * (indent + 4)}{item},\n" for item in items)
    return f"(\n{inner}{' ' * indent})"


def isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then the rest: the order ruff's isort gives imported names."""
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[:1].isupper() else 2), name.lower()


def python_literal(value: Any) -> str:
    """A Python literal for a JSON value, double-quoted as ruff formats it."""
    if isinstance(value, str):
        return _py_repr(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{_py_repr(str(k))}: {python_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    return _py_repr(str(value))


def nullable_member(contract: Contract, schema: Any) -> tuple[Mapping[str, Any], bool]:
    """The non-null schema of a property and whether null is allowed."""
    node = contract.deref(schema)
    if not isinstance(node, Mapping):
        return {}, True
    nullable = bool(node.get("nullable"))
    for key in ("anyOf", "oneOf"):
        members = node.get(key)
        if isinstance(members, list):
            rest = []
            for member in members:
                resolved = contract.deref(member)
                if isinstance(resolved, Mapping) and resolved.get("type") == "null":
                    nullable = True
                else:
                    rest.append(member)
            if len(rest) == 1:
                inner, inner_null = nullable_member(contract, rest[0])
                return inner, nullable or inner_null
            return {"type": "object"}, nullable
    types = node.get("type")
    if isinstance(types, list):
        nullable = nullable or "null" in types
        concrete = [t for t in types if t != "null"]
        node = {**node, "type": concrete[0] if len(concrete) == 1 else "object"}
    if isinstance(node.get("enum"), list) and None in node["enum"]:
        nullable = True
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "type" not in node:
        inner, inner_null = nullable_member(contract, all_of[0])
        return inner, nullable or inner_null
    return node, nullable


def schema_kind(name: str, schema: Mapping[str, Any]) -> Kind:
    """How a (non-null) property schema is stored."""
    kind = schema.get("type")
    enum = [v for v in schema.get("enum") or () if v is not None]
    if kind is None and enum:
        kind = "string" if all(isinstance(v, str) for v in enum) else "object"
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return Kind("datetime", "UTCDateTime", "DateTime(timezone=True)", has_zero=False)
        if fmt == "date":
            return Kind("date", "Date", "Date()", has_zero=False)
        if fmt == "uuid":
            return Kind("uuid.UUID", "Uuid", "Uuid()", has_zero=False)
        zero = enum[0] if enum else ""
        length = max((len(str(v)) for v in enum), default=None) or schema.get("maxLength")
        if isinstance(length, int) and not isinstance(length, bool) and length <= _STRING_LIMIT:
            return Kind("str", f"String({length})", f"String(length={length})", zero)
        return Kind("str", "Text", "Text()", zero)
    if kind == "integer":
        # What the service accepts decides: an integer is bounded by its format, and int64
        # when it names none (see `_bounds`), so only a 32-bit one fits an INTEGER column.
        low = _bound(schema, "minimum", "exclusiveMinimum")
        high = _bound(schema, "maximum", "exclusiveMaximum")
        narrow = schema.get("format") == "int32" or (
            low is not None and high is not None and -_INT32 - 1 <= low and high <= _INT32
        )
        if narrow and not name.endswith("_cents"):
            return Kind("int", "Integer", "Integer()", 0)
        return Kind("int", "BigInteger", "BigInteger()", 0)
    if kind == "number":
        return Kind("float", "Float", "Float()", 0.0)
    if kind == "boolean":
        return Kind("bool", "Boolean", "Boolean()", False)
    if kind == "array":
        raw_items = schema.get("items")
        items: Mapping[str, Any] = raw_items if isinstance(raw_items, Mapping) else {}
        inner = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}.get(
            str(items.get("type")) if "format" not in items else "", "Any"
        )
        return Kind(f"list[{inner}]", "JSON", "JSON()", [], json=True)
    return Kind("dict[str, Any]", "JSON", "JSON()", {}, json=True)


PropertyMaps = Sequence[tuple[Mapping[str, Any], set[str]]]


def build_column(
    contract: Contract, model: str, name: str, responses: PropertyMaps, requests: PropertyMaps
) -> Column:
    """The column of property `name`, from every request and response schema that has it."""
    if not name.isidentifier() or keyword.iskeyword(name) or name in _RESERVED:
        raise UserError(
            f"field `{name}` of {model} cannot be a column; "
            f"name it in snake_case, e.g. `{snake_case(name)}`"
        )
    # Request schemas first: they carry the constraints (`maxLength`) that size a column.
    schemas = [props[name] for props, _ in requests if name in props]
    writable = bool(schemas)
    in_response = [name in required for props, required in responses if name in props]
    schemas += [props[name] for props, _ in responses if name in props]
    nullable = not in_response or not all(in_response)
    kinds: list[Kind] = []
    default: Any = None
    has_default = False
    for raw in schemas:
        schema, admits_null = nullable_member(contract, raw)
        nullable = nullable or admits_null
        kinds.append(schema_kind(name, schema))
        outer = contract.deref(raw)
        for node in (outer, schema):
            if isinstance(node, Mapping) and "default" in node and not has_default:
                default, has_default = node["default"], True
    kind = kinds[0]
    if not nullable and (not has_default or default is None) and kind.has_zero:
        default, has_default = kind.zero, True
    return Column(name, kind, nullable, default, has_default, writable)
