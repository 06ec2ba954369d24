"""The contract's operations as the template needs them: names, routes, typed inputs.

Python decides every name, annotation and default here; the template only prints them.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from shopgen.contract import Contract
from shopgen.errors import UserError
from shopgen.modules import MARKER as MODULE_MARKER

from ._bounds import bounded

__all__ = [
    "DOMAIN_OPERATIONS",
    "PENDING_OPERATIONS",
    "RAW_BODY_OPERATIONS",
    "Operation",
    "Param",
    "collect_operations",
    "snake_case",
]

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_METHODS: tuple[str, ...] = ("get", "post", "put", "patch", "delete", "head", "options")

# Which domain package of the template implements which canonical operation. The next
# domain packages (orders, stock, payments, webhooks) move their ids from PENDING into here.
DOMAIN_OPERATIONS: Mapping[str, frozenset[str]] = {
    "health": frozenset({"getHealth"}),
    "products": frozenset(
        {
            "listProducts",
            "createProduct",
            "getProduct",
            "replaceProduct",
            "updateProduct",
            "deleteProduct",
            "listProductVariants",
            "createProductVariant",
            "updateProductVariant",
            "deleteProductVariant",
        }
    ),
    "auth": frozenset(
        {"registerUser", "createToken", "refreshToken", "getCurrentUser", "createWechatSession"}
    ),
    "payments": frozenset({"createPayment", "getPayment", "receiveWechatPayNotification"}),
    "webhooks": frozenset({"receiveShopifyWebhook"}),
    "orders": frozenset({"createOrder", "listOrders", "getOrder", "cancelOrder", "exportOrders"}),
    "refunds": frozenset(
        {"createRefund", "listRefunds", "getRefund", "receiveWechatPayRefundNotification"}
    ),
    "fulfilment": frozenset({"createShipment", "listShipments", "confirmReceipt"}),
    "addresses": frozenset({"listAddresses", "createAddress", "updateAddress", "deleteAddress"}),
}

# Canonical operations the template will implement but does not yet: they answer 501 from
# the binding layer rather than from a stub in the user's zone.
PENDING_OPERATIONS: frozenset[str] = frozenset()

# Operations whose handler checks a signature over the exact bytes received. Their header
# parameters are bound as optional, so a missing signature header reaches the handler (which
# answers 401 as the protocol says) instead of the framework's 422, and their body is not
# bound: the handler reads `await request.body()` before parsing anything. A contract asks
# the same of any operation with `x-shopgen-raw-body: true`.
RAW_BODY_OPERATIONS: frozenset[str] = frozenset(
    {"receiveWechatPayNotification", "receiveWechatPayRefundNotification", "receiveShopifyWebhook"}
)
RAW_BODY_EXTENSION = "x-shopgen-raw-body"

_SCALARS: Mapping[str, str] = {
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "string": "str",
}
_CONSTRAINTS: tuple[tuple[str, str], ...] = (
    ("minimum", "ge"),
    ("maximum", "le"),
    ("exclusiveMinimum", "gt"),
    ("exclusiveMaximum", "lt"),
    ("minLength", "min_length"),
    ("maxLength", "max_length"),
    ("pattern", "pattern"),
)
_LINE_LENGTH = 100
_LOCATIONS: Mapping[str, str] = {"path": "Path", "query": "Query", "header": "Header"}


@dataclass(frozen=True, slots=True)
class Param:
    """One path, query or header parameter, ready to print as a dataclass field."""

    name: str
    wire_name: str
    location: str
    annotation: str
    default: str | None
    marker: str
    literal_alias: str | None = None
    literal_values: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True, slots=True)
class Operation:
    """One contract operation and how the generated service binds it."""

    operation_id: str
    method: HttpMethod
    path: str
    status_code: int
    summary: str
    tags: tuple[str, ...]
    function_name: str
    class_prefix: str
    params: tuple[Param, ...] = ()
    body_model: str | None = None
    data_model: str | None = None
    public: bool = False
    domain: str | None = None
    pending: bool = False
    raw_body: bool = False

    @property
    def literals(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.literal_alias)

    @property
    def id_literal(self) -> str:
        return _py_repr(self.operation_id)

    @property
    def path_literal(self) -> str:
        return _py_repr(self.path)

    @property
    def table_entry(self) -> str:
        """`Operation(...)` as ruff would format it inside the OPERATIONS tuple."""
        args = [self.id_literal, f'"{self.method}"', self.path_literal, str(self.status_code)]
        line = f"    Operation({', '.join(args)}),"
        if len(line) <= _LINE_LENGTH:
            return line
        inner = "".join(f"        {arg},\n" for arg in args)
        return f"    Operation(\n{inner}    ),"

    @property
    def params_dep(self) -> str:
        """`<Params>Dep = Annotated[<Params>, Depends(parameters(<Params>))]`, wrapped as ruff
        format wraps it."""
        name = self.params_class
        line = f"{name}Dep = Annotated[{name}, Depends(parameters({name}))]"
        if len(line) <= _LINE_LENGTH:
            return line
        inner = f"    {name}, Depends(parameters({name}))"
        if len(inner) <= _LINE_LENGTH:
            return f"{name}Dep = Annotated[\n{inner}\n]"
        return f"{name}Dep = Annotated[\n    {name},\n    Depends(parameters({name})),\n]"

    @property
    def custom(self) -> bool:
        """Neither a domain package nor a coming one implements it: a stub in app/custom/."""
        return self.domain is None and not self.pending

    @property
    def params_class(self) -> str | None:
        return f"{self.class_prefix}Params" if self.params else None

    @property
    def required_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.required)

    @property
    def optional_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.required)


def snake_case(name: str) -> str:
    """`listProducts` → `list_products`, `Idempotency-Key` → `idempotency_key`."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    if not name or name[0].isdigit():
        name = f"p_{name}"
    if keyword.iskeyword(name) or name in {"params", "body", "self"}:
        name += "_"
    return name


def pascal_case(name: str) -> str:
    words = re.split(r"[^0-9a-zA-Z]+|(?<=[a-z0-9])(?=[A-Z])", name)
    return "".join(word[:1].upper() + word[1:] for word in words if word)


def _ref_name(node: Any) -> str | None:
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if ref.startswith("#/components/schemas/"):
            return pascal_case(ref.rsplit("/", 1)[1])
    return None


def _literal(values: list[Any]) -> str:
    return "Literal[" + ", ".join(_py_repr(v) for v in values) + "]"


def _py_repr(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _annotation(contract: Contract, schema: Any) -> tuple[str, bool]:
    """A Python annotation for a parameter schema, and whether it admits null."""
    schema = contract.deref(schema) if schema is not None else {}
    if not isinstance(schema, Mapping):
        return "str", False
    types = schema.get("type", "string")
    nullable = bool(schema.get("nullable"))
    if isinstance(types, list):
        nullable = nullable or "null" in types
        concrete = [t for t in types if t != "null"]
        types = concrete[0] if concrete else "string"
    if "enum" in schema:
        values = [v for v in schema["enum"] if v is not None]
        return _literal(values), nullable or None in schema["enum"]
    if types == "array":
        inner, _ = _annotation(contract, schema.get("items"))
        return f"list[{inner}]", nullable
    return _SCALARS.get(str(types), "str"), nullable


def _marker(location: str, schema: Mapping[str, Any], alias: str | None) -> str:
    args = [f"alias={_py_repr(alias)}"] if alias else []
    for key, arg in _CONSTRAINTS:
        if key in schema and not isinstance(schema[key], bool):
            args.append(f"{arg}={_py_repr(schema[key])}")
    return f"{_LOCATIONS[location]}({', '.join(args)})"


def _param(
    contract: Contract, raw: Any, prefix: str, *, headers_optional: bool = False
) -> Param | None:
    spec = contract.deref(raw)
    if not isinstance(spec, Mapping) or spec.get("in") not in _LOCATIONS:
        return None  # cookie parameters and broken refs are left to the linter
    wire = str(spec["name"])
    location = str(spec["in"])
    schema = bounded(contract.deref(spec.get("schema")) or {})
    annotation, nullable = _annotation(contract, schema)
    name = snake_case(wire)
    literal_alias: str | None = None
    literal_values: tuple[str, ...] = ()
    if annotation.startswith("Literal["):
        literal_alias = prefix + pascal_case(name)
        literal_values = tuple(_py_repr(v) for v in schema["enum"] if v is not None)
        annotation = literal_alias
    if location == "header":
        alias = None if name.replace("_", "-") == wire.lower() else wire
    else:
        alias = None if name == wire else wire
    required = bool(spec.get("required")) or location == "path"
    if headers_optional and location == "header":
        required = False
    default: str | None = None
    if not required:
        if "default" in schema and schema["default"] is not None:
            default = _py_repr(schema["default"])
        else:
            default = "None"
            nullable = True
    if nullable:
        annotation += " | None"
    marker = _marker(location, schema, alias)
    return Param(
        name,
        wire,
        location,
        f"Annotated[{annotation}, {marker}]",
        default,
        marker,
        literal_alias,
        literal_values,
    )


def _json_schema(contract: Contract, holder: Any) -> Any:
    holder = contract.deref(holder)
    if not isinstance(holder, Mapping):
        return None
    content = holder.get("content") or {}
    for media, entry in content.items():
        if media == "application/json" or media.endswith("+json"):
            return entry.get("schema") if isinstance(entry, Mapping) else None
    return None


def _data_model(contract: Contract, schema: Any) -> str | None:
    """The model of `data` inside an enveloped response, when it is a named schema."""
    node = contract.deref(schema)
    if not isinstance(node, Mapping):
        return None
    members = [node, *(contract.deref(m) for m in node.get("allOf", ()))]
    for member in members:
        props = member.get("properties") if isinstance(member, Mapping) else None
        if isinstance(props, Mapping) and "data" in props:
            return _ref_name(props["data"])
    return None


def _success(contract: Contract, responses: Mapping[str, Any]) -> tuple[int, Any]:
    for code in sorted(str(c) for c in responses):
        if code.isdigit() and code.startswith("2"):
            return int(code), _json_schema(contract, responses[code])
    return 200, None


def _iter_raw(contract: Contract) -> Iterator[tuple[str, str, Mapping[str, Any], Any]]:
    """(path, method, operation, path-level parameters) in document order."""
    for item in contract.paths:
        for method in _METHODS:
            op = item.node.get(method)
            if isinstance(op, Mapping):
                yield item.template, method, op, item.node.get("parameters") or []


def collect_operations(
    contract: Contract,
    body_names: Mapping[str, str],
    modules: frozenset[str] = frozenset(),
) -> tuple[Operation, ...]:
    """Every operation of the contract, in document order.

    `body_names` maps an operationId with an inline request body schema to the model name
    under which that schema was hoisted into the generated schemas. An operation marked
    `x-shopgen-module: NAME` with NAME in `modules` is implemented by that module's package.
    """
    domains = {op_id: name for name, ids in DOMAIN_OPERATIONS.items() for op_id in ids}
    root_security = contract.document.get("security") or []
    operations: list[Operation] = []
    seen: set[str] = set()
    for path, method, op, shared in _iter_raw(contract):
        op_id = op.get("operationId")
        if not isinstance(op_id, str) or not op_id:
            raise UserError(f"operation `{method.upper()} {path}` has no operationId")
        if op_id in seen:
            raise UserError(f"operationId `{op_id}` is used twice")
        seen.add(op_id)
        declared: dict[tuple[str, str], Param] = {}
        prefix = pascal_case(op_id)
        raw_body = op_id in RAW_BODY_OPERATIONS or op.get(RAW_BODY_EXTENSION) is True
        for raw in [*shared, *(op.get("parameters") or [])]:
            param = _param(contract, raw, prefix, headers_optional=raw_body)
            if param is not None:
                declared[param.location, param.wire_name] = param
        params = tuple(declared.values())
        if len({p.name for p in params}) != len(params):
            raise UserError(f"operation `{op_id}` has parameters whose Python names collide")
        body_schema = _json_schema(contract, op.get("requestBody"))
        body_model = _ref_name(body_schema) or body_names.get(op_id)
        status_code, success_schema = _success(contract, op.get("responses") or {})
        security = op.get("security", root_security)
        operations.append(
            Operation(
                operation_id=op_id,
                method=method.upper(),  # type: ignore[arg-type]
                path=path,
                status_code=status_code,
                summary=str(op.get("summary") or op_id).strip().replace("\n", " "),
                tags=tuple(str(t) for t in op.get("tags") or ()),
                function_name=snake_case(op_id),
                class_prefix=prefix,
                params=params,
                body_model=body_model,
                data_model=_data_model(contract, success_schema),
                public=not security,
                domain=domains.get(op_id) or _module_of(op, modules),
                pending=op_id in PENDING_OPERATIONS,
                raw_body=raw_body,
            )
        )
    return tuple(operations)


def _module_of(op: Mapping[str, Any], modules: frozenset[str]) -> str | None:
    marker = op.get(MODULE_MARKER)
    return marker if isinstance(marker, str) and marker in modules else None


def inline_bodies(contract: Contract) -> dict[str, Any]:
    """Inline request-body schemas by the model name they get: `<OperationId>Body`."""
    found: dict[str, Any] = {}
    for _path, _method, op, _shared in _iter_raw(contract):
        schema = _json_schema(contract, op.get("requestBody"))
        if isinstance(schema, Mapping) and _ref_name(schema) is None and "$ref" not in schema:
            op_id = op.get("operationId")
            if isinstance(op_id, str):
                found[op_id] = dict(schema)
    return found
