"""What the generated tests add to request bodies: a value for every field the contract
requires beyond the template's own, taken from the contract's example or made to fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shopgen.contract import Operation

from ._columns import Kind, python_literal
from ._operations import _py_repr, snake_case

if TYPE_CHECKING:
    from ._fields import ContractFields

__all__ = ["payload_blocks", "payload_name", "request_example", "sample"]


def request_example(operation: Operation, at: tuple[str, ...]) -> Mapping[str, Any]:
    """The first JSON example of the operation's request body, at the property path `at`
    (the first item of an array)."""
    for media in operation.request_media:
        if not media.is_json:
            continue
        candidates: list[Any] = [media.node.get("example")]
        examples = media.node.get("examples")
        if isinstance(examples, Mapping):
            for example in examples.values():
                value = operation.contract.deref(example)
                candidates.append(value.get("value") if isinstance(value, Mapping) else None)
        for candidate in candidates:
            found = _descend(candidate, at)
            if isinstance(found, Mapping):
                return found
    return {}


def _descend(value: Any, at: tuple[str, ...]) -> Any:
    for name in at:
        value = value.get(name) if isinstance(value, Mapping) else None
        if isinstance(value, list):
            value = value[0] if value else None
    return value


def sample(schema: Mapping[str, Any], kind: Kind) -> Any:
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


def payload_name(operation_id: str, at: tuple[str, ...]) -> str:
    """`CREATE_PRODUCT`; `CREATE_ORDER_ITEMS` for the fields of each of createOrder's items."""
    return "_".join([snake_case(operation_id), *(snake_case(part) for part in at)]).upper()


def payload_blocks(fields: Mapping[str, ContractFields]) -> tuple[str, ...]:
    """`tests/payloads.py`'s constants: per request operation, the extra fields it requires."""
    blocks: list[str] = []
    for table in fields.values():
        view = table.resource.contract
        at = view.at if view is not None else ()
        for op_id, payload in table.payloads.items():
            name = payload_name(op_id, at)
            if not payload:
                blocks.append(f"{name}: dict[str, Any] = {{}}")
                continue
            lines = "".join(
                f"    {_py_repr(key)}: {python_literal(value)},\n" for key, value in payload.items()
            )
            blocks.append(f"{name}: dict[str, Any] = {{\n{lines}}}")
    return tuple(blocks)
