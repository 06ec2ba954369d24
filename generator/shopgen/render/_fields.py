"""The fields a contract adds to the template's tables, read from the contract.

The template's models know their canonical fields (`RESOURCES[...].contract.known`). Any
other property of a table's request bodies or response data is the contract's own: it gets a
column in a generated mixin the model inherits (`app/<domain>/contract_fields.py`), a column
in the migration that creates the table, and the services write it from request bodies, so
responses read it back from the row like any canonical field. A property a module adds
(marked `x-shopgen-module`, e.g. the commission module's `channel_code` on new orders) is
the module's to store, in its own tables: it gets no column here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from shopgen.contract import Contract, Operation
from shopgen.modules import MARKER as MODULE_MARKER

from ._columns import Column, build_column, isort_key, nullable_member
from ._payloads import request_example, sample
from ._resources import ContractView, TableResource, contract_resources

__all__ = ["ContractFields", "FieldsByTable", "collect_fields"]

PropertyMap = tuple[dict[str, Any], set[str]]


@dataclass(frozen=True, slots=True)
class ContractFields:
    """The extra fields of one table in one contract."""

    resource: TableResource
    columns: tuple[Column, ...]
    # Values the generated tests add to each request body: the required extra fields.
    payloads: Mapping[str, Mapping[str, Any]]

    @property
    def mixin(self) -> str:
        return self.resource.mixin

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def qualified(self) -> tuple[str, ...]:
        """`Product.brand`: how the update plan names new columns."""
        return tuple(f"{self.resource.model}.{name}" for name in self.names)

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
            server = column.server_default()
            if server is not None and server.startswith("text("):
                names.add("text")
        return tuple(sorted(names, key=isort_key))

    @property
    def db_import(self) -> str | None:
        names = [
            name
            for name, used in (
                ("UTCDateTime", any(c.kind.model_type == "UTCDateTime" for c in self.columns)),
                ("utcnow", any(c.python_default() == "utcnow" for c in self.columns)),
            )
            if used
        ]
        return f"from app.core.db import {', '.join(names)}" if names else None


class FieldsByTable(Mapping[str, ContractFields]):
    """The extra fields by table name. The templates of earlier releases name the users
    table by its domain package (`fields.auth`), so that name still answers."""

    _LEGACY = {"auth": "users"}

    def __init__(self, tables: Mapping[str, ContractFields]) -> None:
        self._tables = dict(tables)

    def __getitem__(self, key: str) -> ContractFields:
        return self._tables[self._LEGACY.get(key, key) if key not in self._tables else key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)


def collect_fields(contract: Contract) -> FieldsByTable:
    """The extra fields of each table the contract describes, by table name."""
    operations = {op.operation_id: op for op in contract.operations if op.operation_id}
    return FieldsByTable(
        {
            r.table: _table_fields(contract, operations, r, r.contract)
            for r in contract_resources()
            if r.contract is not None
        }
    )


def _object(contract: Contract, schema: Any, at: tuple[str, ...]) -> PropertyMap | None:
    """Properties and required names of the object at property path `at` in `schema`,
    through `$ref`, `allOf` and array items."""
    for name in at:
        properties, _, _ = contract.schema_view(_items(contract, schema))
        if name not in properties:
            return None
        schema = properties[name]
    node = _items(contract, schema)
    if not isinstance(contract.deref(node), Mapping):
        return None
    properties, required, _ = contract.schema_view(node)
    return dict(properties), set(required)


def _items(contract: Contract, schema: Any) -> Any:
    """An array's item schema (through `$ref` and a nullable wrapper), else the schema."""
    node, _ = nullable_member(contract, schema)
    if node.get("type") == "array" and node.get("items") is not None:
        return node["items"]
    return schema


def _json_schema(media: Iterator[Any]) -> Any:
    for entry in media:
        if entry.is_json:
            return entry.schema
    return None


def _data_schema(contract: Contract, operation: Operation) -> Any:
    """The schema of `data` in the success response's envelope."""
    for status in sorted(operation.responses):
        if status.isdigit() and status.startswith("2"):
            envelope = _json_schema(iter(operation.response_media(status)))
            if envelope is None:
                return None
            properties, _, _ = contract.schema_view(envelope)
            return properties.get("data")
    return None


def _module_owned(schema: Any) -> bool:
    """A property a module adds (`x-shopgen-module`): the module stores it, in its own tables."""
    return isinstance(schema, Mapping) and isinstance(schema.get(MODULE_MARKER), str)


def _table_fields(
    contract: Contract,
    operations: Mapping[str, Operation],
    resource: TableResource,
    view: ContractView,
) -> ContractFields:
    responses: list[PropertyMap] = []
    for op_id in view.responses:
        if op_id in operations:
            data = _data_schema(contract, operations[op_id])
            found = _object(contract, data, view.at) if data is not None else None
            if found is not None:
                responses.append(found)
    requests: dict[str, PropertyMap] = {}
    for op_id in view.requests:
        if op_id in operations:
            body = _json_schema(iter(operations[op_id].request_media))
            found = _object(contract, body, view.at) if body is not None else None
            if found is not None:
                requests[op_id] = found
    order: list[str] = []
    for properties, _ in [*responses, *requests.values()]:
        order += [
            n
            for n in properties
            if n not in order and n not in view.known and not _module_owned(properties[n])
        ]
    request_maps = list(requests.values())
    columns = tuple(
        build_column(contract, resource.model, n, responses, request_maps) for n in order
    )
    by_name = {c.name: c for c in columns}
    payloads: dict[str, dict[str, Any]] = {}
    for op_id in view.requests:
        if op_id not in requests:
            payloads[op_id] = {}
            continue
        properties, required = requests[op_id]
        example = request_example(operations[op_id], view.at)
        payload: dict[str, Any] = {}
        for name in properties:
            if name not in by_name or name not in required:
                continue
            schema, _ = nullable_member(contract, properties[name])
            if "default" in schema:
                continue
            payload[name] = example[name] if name in example else sample(schema, by_name[name].kind)
        payloads[op_id] = payload
    return ContractFields(resource, columns, payloads)
