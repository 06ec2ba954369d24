"""The fields a contract adds to the canonical resources, as database columns.

The template's models know the canonical fields of Product, User and Order. Any other
property of those resources' request bodies or response data is the contract's own: it gets a
column in a generated mixin the model inherits (`app/<domain>/contract_fields.py`), a column
in the initial migration, and the services write it from request bodies, so responses read it
back from the row like any canonical field.

Types follow the JSON Schema: strings with a `maxLength` up to 255 (and enums) are `String`,
other strings `Text`, `date`/`date-time` are `Date`/aware `DateTime`, integers are `Integer`
unless `int64`, out of 32-bit range or money (`*_cents`, as `price_cents`), numbers are
`Float` (what the wire carries: money is integer cents), arrays and objects are `JSON`.
A column is nullable when any schema admits null or the response may leave the field out.
A non-null column always has a default, so rows the template creates without a request body
(WeChat sign-in, Shopify orders) stay valid: the contract's `default`, else the zero value of
its type (0, "", false, [], {}, the first enum value).
"""

from __future__ import annotations

import json
import keyword
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shopgen.errors import UserError

from ._operations import _iter_raw, _json_schema, _py_repr, _resolve, snake_case

__all__ = [
    "RESOURCES",
    "Column",
    "ContractFields",
    "Resource",
    "collect_fields",
    "frozenset_literal",
    "payload_blocks",
    "python_literal",
]

_STRING_LIMIT = 255
_INT32 = 2**31 - 1

_INDENT = "    "
_LINE_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Resource:
    """A canonical resource: where the contract describes it and what the template knows."""

    domain: str
    model: str
    table: str
    requests: tuple[str, ...]
    responses: tuple[str, ...]
    # The model's attributes and the canonical request-only fields (a password): never extra.
    known: frozenset[str]


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "products",
        "Product",
        "products",
        requests=("createProduct", "replaceProduct", "updateProduct"),
        responses=("getProduct", "createProduct", "replaceProduct", "updateProduct"),
        known=frozenset(
            {
                "id",
                "sku",
                "title",
                "description",
                "price_cents",
                "currency",
                "stock",
                "status",
                "category",
                "images",
                "created_at",
                "updated_at",
                "deleted_at",
            }
        ),
    ),
    Resource(
        "auth",
        "User",
        "users",
        requests=("registerUser",),
        responses=("getCurrentUser", "registerUser"),
        known=frozenset(
            {
                "id",
                "email",
                "password",
                "password_hash",
                "role",
                "display_name",
                "wechat_app_id",
                "wechat_openid",
                "wechat_unionid",
                "created_at",
            }
        ),
    ),
    Resource(
        "orders",
        "Order",
        "orders",
        requests=("createOrder",),
        responses=("getOrder", "createOrder", "cancelOrder"),
        known=frozenset(
            {
                "id",
                "user_id",
                "status",
                "items",
                "total_cents",
                "currency",
                "source",
                "external_id",
                "note",
                "reservation",
                "cancel_reason",
                "transaction_id",
                "expires_at",
                "paid_at",
                "cancelled_at",
                "created_at",
                "updated_at",
            }
        ),
    ),
)

# Names a declarative model reserves for itself.
_RESERVED = frozenset({"metadata", "registry", "query", "type_annotation_map"})


@dataclass(frozen=True, slots=True)
class _Kind:
    """What a JSON Schema property is stored as."""

    annotation: str
    model_type: str
    migration_type: str
    zero: Any = None
    has_zero: bool = True
    json: bool = False


@dataclass(frozen=True, slots=True)
class Column:
    """One extra field of a resource, ready to print in the model and the migration."""

    name: str
    kind: _Kind
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

    def _python_default(self) -> str | None:
        if not self.has_default or self.default is None:
            return "utcnow" if self.kind.annotation == "datetime" and not self.nullable else None
        if self.default == [] or self.default == {}:
            return type(self.default).__name__
        if isinstance(self.default, list | dict):
            return f"lambda: {python_literal(self.default)}"
        return python_literal(self.default)

    def _server_default(self) -> str | None:
        if not self.has_default or self.default is None:
            return None
        if isinstance(self.default, bool):
            return "true()" if self.default else "false()"
        if self.kind.json:
            return _py_repr(json.dumps(self.default, ensure_ascii=False))
        return _py_repr(str(self.default))

    @property
    def mapped_line(self) -> str:
        """`brand: Mapped[str | None] = mapped_column(String(100))`"""
        args = [self.kind.model_type]
        default = self._python_default()
        if default is not None:
            args.append(f"default={default}")
        server = self._server_default()
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
        server = self._server_default()
        if server is not None:
            prefix = "sa." if server.endswith("()") else ""
            args.append(f"server_default={prefix}{server}")
        args.append(f"nullable={self.nullable}")
        return f"sa.Column({', '.join(args)}),"


@dataclass(frozen=True, slots=True)
class ContractFields:
    """The extra fields of one resource in one contract."""

    resource: Resource
    columns: tuple[Column, ...]
    # Values the generated tests add to each request body: the required extra fields.
    payloads: Mapping[str, Mapping[str, Any]]

    @property
    def mixin(self) -> str:
        return f"{self.resource.model}ContractFields"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def listed(self) -> str:
        """The names as the README lists them: `brand`, `tags`."""
        return ", ".join(f"`{name}`" for name in self.names)

    @property
    def writable(self) -> tuple[str, ...]:
        return tuple(sorted(c.name for c in self.columns if c.writable))

    @property
    def nullable(self) -> tuple[str, ...]:
        return tuple(sorted(c.name for c in self.columns if c.nullable and c.writable))

    @property
    def json_valued(self) -> tuple[str, ...]:
        return tuple(sorted(c.name for c in self.columns if c.json and c.writable))

    @property
    def typing_imports(self) -> tuple[str, ...]:
        names = {"Any"} if any(c.writable for c in self.columns) else set()
        if any("Any" in c.annotation for c in self.columns):
            names.add("Any")
        return tuple(sorted(names))

    @property
    def other_imports(self) -> tuple[str, ...]:
        """Standard-library imports of the mixin, sorted as ruff's isort sorts them."""
        lines: set[str] = set()
        dates = sorted({c.kind.annotation for c in self.columns} & {"date", "datetime"})
        if dates:
            lines.add(f"from datetime import {', '.join(dates)}")
        if any(c.kind.annotation == "uuid.UUID" for c in self.columns):
            lines.add("import uuid")
        return tuple(sorted(lines, key=lambda line: line.split()[1]))

    @property
    def sqlalchemy_imports(self) -> tuple[str, ...]:
        names: set[str] = set()
        for column in self.columns:
            head = column.kind.model_type.split("(", 1)[0]
            if head != "UTCDateTime":
                names.add(head)
            server = column._server_default()
            if server in {"true()", "false()"}:
                names.add(server[:-2])
        return tuple(sorted(names, key=_isort_key))

    @property
    def db_import(self) -> str | None:
        names = [
            name
            for name, used in (
                ("UTCDateTime", any(c.kind.model_type == "UTCDateTime" for c in self.columns)),
                ("utcnow", any(c._python_default() == "utcnow" for c in self.columns)),
            )
            if used
        ]
        return f"from app.core.db import {', '.join(names)}" if names else None


def frozenset_literal(names: Iterable[str]) -> str:
    """`frozenset({"a", "b"})`, or `frozenset()` for none."""
    inner = ", ".join(_py_repr(name) for name in names)
    return f"frozenset({{{inner}}})" if inner else "frozenset()"


def payload_blocks(fields: Mapping[str, ContractFields]) -> tuple[str, ...]:
    """`tests/payloads.py`'s constants: per request operation, the extra fields it requires."""
    blocks: list[str] = []
    for resource in fields.values():
        for op_id, payload in resource.payloads.items():
            name = snake_case(op_id).upper()
            if not payload:
                blocks.append(f"{name}: dict[str, Any] = {{}}")
                continue
            lines = "".join(
                f"    {_py_repr(key)}: {python_literal(value)},\n" for key, value in payload.items()
            )
            blocks.append(f"{name}: dict[str, Any] = {{\n{lines}}}")
    return tuple(blocks)


def _isort_key(name: str) -> tuple[int, str]:
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


def _object(document: Mapping[str, Any], schema: Any) -> tuple[dict[str, Any], set[str]]:
    """Properties and required names of an object schema, through `$ref` and `allOf`."""
    node = _resolve(document, schema)
    if not isinstance(node, Mapping):
        return {}, set()
    properties: dict[str, Any] = {}
    required: set[str] = set()
    for member in node.get("allOf") or ():
        props, req = _object(document, member)
        properties.update(props)
        required |= req
    if isinstance(node.get("properties"), Mapping):
        properties.update(node["properties"])
    required |= {str(r) for r in node.get("required") or ()}
    return properties, required


def _data_schema(document: Mapping[str, Any], op: Mapping[str, Any]) -> Any:
    """The schema of `data` in the success response's envelope."""
    responses = op.get("responses") or {}
    for code in sorted(str(c) for c in responses):
        if code.isdigit() and code.startswith("2"):
            properties, _ = _object(document, _json_schema(document, responses[code]))
            return properties.get("data")
    return None


def _nullable_member(document: Mapping[str, Any], schema: Any) -> tuple[Any, bool]:
    """The non-null schema of a property and whether null is allowed."""
    node = _resolve(document, schema)
    if not isinstance(node, Mapping):
        return {}, True
    nullable = bool(node.get("nullable"))
    for key in ("anyOf", "oneOf"):
        members = node.get(key)
        if isinstance(members, list):
            rest = []
            for member in members:
                resolved = _resolve(document, member)
                if isinstance(resolved, Mapping) and resolved.get("type") == "null":
                    nullable = True
                else:
                    rest.append(member)
            if len(rest) == 1:
                inner, inner_null = _nullable_member(document, rest[0])
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
        inner, inner_null = _nullable_member(document, all_of[0])
        return inner, nullable or inner_null
    return node, nullable


def _kind(name: str, schema: Mapping[str, Any]) -> _Kind:
    kind = schema.get("type")
    enum = [v for v in schema.get("enum") or () if v is not None]
    if kind is None and enum:
        kind = "string" if all(isinstance(v, str) for v in enum) else "object"
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return _Kind("datetime", "UTCDateTime", "DateTime(timezone=True)", has_zero=False)
        if fmt == "date":
            return _Kind("date", "Date", "Date()", has_zero=False)
        if fmt == "uuid":
            return _Kind("uuid.UUID", "Uuid", "Uuid()", has_zero=False)
        zero = enum[0] if enum else ""
        length = max((len(str(v)) for v in enum), default=None) or schema.get("maxLength")
        if isinstance(length, int) and not isinstance(length, bool) and length <= _STRING_LIMIT:
            return _Kind("str", f"String({length})", f"String(length={length})", zero)
        return _Kind("str", "Text", "Text()", zero)
    if kind == "integer":
        wide = (
            schema.get("format") == "int64"
            or name.endswith("_cents")
            or any(
                isinstance(schema.get(k), int) and abs(schema[k]) > _INT32
                for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
            )
        )
        if wide:
            return _Kind("int", "BigInteger", "BigInteger()", 0)
        return _Kind("int", "Integer", "Integer()", 0)
    if kind == "number":
        return _Kind("float", "Float", "Float()", 0.0)
    if kind == "boolean":
        return _Kind("bool", "Boolean", "Boolean()", False)
    if kind == "array":
        raw_items = schema.get("items")
        items: Mapping[str, Any] = raw_items if isinstance(raw_items, Mapping) else {}
        inner = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}.get(
            str(items.get("type")) if "format" not in items else "", "Any"
        )
        return _Kind(f"list[{inner}]", "JSON", "JSON()", [], json=True)
    return _Kind("dict[str, Any]", "JSON", "JSON()", {}, json=True)


def _operations(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for _path, _method, op, _shared in _iter_raw(document):
        op_id = op.get("operationId")
        if isinstance(op_id, str):
            found[op_id] = op
    return found


def _request_example(document: Mapping[str, Any], op: Mapping[str, Any]) -> Mapping[str, Any]:
    body = _resolve(document, op.get("requestBody"))
    content = body.get("content") if isinstance(body, Mapping) else None
    for media, entry in (content or {}).items():
        if not (media == "application/json" or media.endswith("+json")):
            continue
        if isinstance(entry, Mapping) and isinstance(entry.get("example"), Mapping):
            return entry["example"]  # type: ignore[no-any-return]
        for example in (entry.get("examples") or {}).values() if isinstance(entry, Mapping) else ():
            value = _resolve(document, example)
            if isinstance(value, Mapping) and isinstance(value.get("value"), Mapping):
                return value["value"]  # type: ignore[no-any-return]
    return {}


def _sample(schema: Mapping[str, Any], kind: _Kind) -> Any:
    """A value the schema accepts, for a field no example shows."""
    for key in ("example", "default"):
        if schema.get(key) is not None:
            return schema[key]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    if kind.annotation == "str":
        if kind.zero:
            return kind.zero
        return "x" * max(int(schema.get("minLength") or 1), 1)
    if kind.annotation in {"int", "float"}:
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return max(low if isinstance(low, int | float) else 0, 1)
    if kind.annotation == "datetime":
        return "2025-01-01T00:00:00Z"
    if kind.annotation == "date":
        return "2025-01-01"
    if kind.annotation == "uuid.UUID":
        return "00000000-0000-4000-8000-000000000000"
    return kind.zero


def collect_fields(document: Mapping[str, Any]) -> dict[str, ContractFields]:
    """The extra fields of each canonical resource, by domain package."""
    operations = _operations(document)
    return {r.domain: _resource_fields(document, operations, r) for r in RESOURCES}


def _resource_fields(
    document: Mapping[str, Any], operations: Mapping[str, Mapping[str, Any]], resource: Resource
) -> ContractFields:
    responses: list[tuple[dict[str, Any], set[str]]] = []
    for op_id in resource.responses:
        if op_id in operations:
            data = _data_schema(document, operations[op_id])
            if data is not None:
                responses.append(_object(document, data))
    requests: dict[str, tuple[dict[str, Any], set[str]]] = {}
    for op_id in resource.requests:
        if op_id in operations:
            body = _json_schema(document, operations[op_id].get("requestBody"))
            if body is not None:
                requests[op_id] = _object(document, body)
    order: list[str] = []
    for properties, _ in [*responses, *requests.values()]:
        order += [n for n in properties if n not in order and n not in resource.known]
    columns = tuple(_column(document, resource, n, responses, requests) for n in order)
    by_name = {c.name: c for c in columns}
    payloads: dict[str, dict[str, Any]] = {}
    for op_id in resource.requests:
        if op_id not in requests:
            payloads[op_id] = {}
            continue
        properties, required = requests[op_id]
        example = _request_example(document, operations[op_id])
        payload: dict[str, Any] = {}
        for name in properties:
            if name not in by_name or name not in required:
                continue
            schema, _ = _nullable_member(document, properties[name])
            if "default" in schema:
                continue
            payload[name] = (
                example[name] if name in example else _sample(schema, by_name[name].kind)
            )
        payloads[op_id] = payload
    return ContractFields(resource, columns, payloads)


def _column(
    document: Mapping[str, Any],
    resource: Resource,
    name: str,
    responses: list[tuple[dict[str, Any], set[str]]],
    requests: Mapping[str, tuple[dict[str, Any], set[str]]],
) -> Column:
    if not name.isidentifier() or keyword.iskeyword(name) or name in _RESERVED:
        raise UserError(
            f"field `{name}` of {resource.model} cannot be a column; "
            f"name it in snake_case, e.g. `{snake_case(name)}`"
        )
    # Request schemas first: they carry the constraints (`maxLength`) that size a column.
    schemas = [props[name] for props, _ in requests.values() if name in props]
    writable = bool(schemas)
    in_response = [name in required for props, required in responses if name in props]
    schemas += [props[name] for props, _ in responses if name in props]
    nullable = not in_response or not all(in_response)
    kinds: list[_Kind] = []
    default: Any = None
    has_default = False
    for raw in schemas:
        schema, admits_null = _nullable_member(document, raw)
        nullable = nullable or admits_null
        kinds.append(_kind(name, schema))
        outer = _resolve(document, raw)
        for node in (outer, schema):
            if isinstance(node, Mapping) and "default" in node and not has_default:
                default, has_default = node["default"], True
    kind = kinds[0]
    if not nullable and (not has_default or default is None) and kind.has_zero:
        default, has_default = kind.zero, True
    return Column(name, kind, nullable, default, has_default, writable)
