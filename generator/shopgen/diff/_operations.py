"""Matching operations across versions: method plus path template, path parameter names aside.

`/orders/{id}` and `/orders/{order_id}` are the same URL to a client, so templates are compared
with every `{name}` replaced by `{}`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from shopgen.contract import Contract, Operation

from ._collect import Found, code

__all__ = ["compare_operation", "match_operations", "normalise_template", "removed_paths"]

_PARAM = re.compile(r"\{[^{}]*\}")


def normalise_template(template: str) -> str:
    return _PARAM.sub("{}", template.rstrip("/") or "/")


def _index(contract: Contract) -> dict[tuple[str, str], Operation]:
    return {(normalise_template(op.path.template), op.method): op for op in contract.operations}


def match_operations(
    old: Contract, new: Contract
) -> tuple[list[tuple[Operation, Operation]], list[Operation], list[Operation]]:
    """(pairs, removed, added), each in its contract's order."""
    old_ops, new_ops = _index(old), _index(new)
    pairs = [(op, new_ops[key]) for key, op in old_ops.items() if key in new_ops]
    removed = [op for key, op in old_ops.items() if key not in new_ops]
    added = [op for key, op in new_ops.items() if key not in old_ops]
    return pairs, removed, added


def removed_paths(old: Contract, new: Contract) -> set[str]:
    """Normalised templates of old paths with no counterpart at all in the new contract."""
    kept = {normalise_template(item.template) for item in new.paths}
    return {normalise_template(item.template) for item in old.paths} - kept


def compare_operation(old: Operation, new: Operation) -> Iterator[Found]:
    if old.operation_id != new.operation_id and old.operation_id and new.operation_id:
        detail = f"operationId {code(old.operation_id)} → {code(new.operation_id)}"
        yield Found(
            "operation-id-changed",
            "",
            detail,
            f"{old.pointer}/operationId",
            f"{new.pointer}/operationId",
        )
    if new.node.get("deprecated") is True and old.node.get("deprecated") is not True:
        yield Found(
            "operation-deprecated", "", "deprecated", old.pointer, f"{new.pointer}/deprecated"
        )
