"""Gathering changes: one per (kind, place, detail), with every operation that exposes it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shopgen.contract import Contract, Operation

from ._kinds import KINDS
from ._report import Change

__all__ = ["Collector", "Found", "Side", "code", "operation_label"]


def code(value: object) -> str:
    """`value` as a Markdown code span that survives backticks inside it (CommonMark's rule)."""
    text = " ".join(str(value).split())
    if "`" not in text:
        return f"`{text}`"
    fence = "`" * (max(len(run) for run in re.findall(r"`+", text)) + 1)
    return f"{fence} {text} {fence}"


def operation_label(operation: Operation) -> str:
    """`METHOD /path (operationId)`, how every message names an operation."""
    label = f"{operation.method.upper()} {operation.path.template}"
    return f"{label} ({operation.operation_id})" if operation.operation_id else label


@dataclass(frozen=True)
class Found:
    """A change before it is attached to operations: `where` is e.g. "response 200 property
    `data.total`", `detail` e.g. "type `integer` → `string`"."""

    kind: str
    where: str
    detail: str
    old_pointer: str | None
    new_pointer: str | None


@dataclass
class _Entry:
    found: Found
    operations: list[str] = field(default_factory=list)


@dataclass
class Side:
    old: Contract
    new: Contract


class Collector:
    """Dedupes: a change in a component used by ten operations is one change listing ten."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str | None, str | None, str, str], _Entry] = {}

    def add(self, found: Found, operation: str | None) -> None:
        if found.kind not in KINDS:
            raise KeyError(f"unknown change kind {found.kind!r}")
        key = (found.kind, found.old_pointer, found.new_pointer, found.where, found.detail)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(found)
        if operation is not None and operation not in entry.operations:
            entry.operations.append(operation)

    def changes(self, side: Side) -> list[Change]:
        entries = list(self._entries.values())
        old_lines = side.old.source.locate_many(
            {e.found.old_pointer for e in entries if e.found.old_pointer is not None}
        )
        new_lines = side.new.source.locate_many(
            {e.found.new_pointer for e in entries if e.found.new_pointer is not None}
        )
        changes = []
        for entry in entries:
            found = entry.found
            changes.append(
                Change(
                    kind=found.kind,
                    breaking=KINDS[found.kind].breaking,
                    message=_message(found, entry.operations),
                    operations=tuple(entry.operations),
                    old_pointer=found.old_pointer,
                    new_pointer=found.new_pointer,
                    old_line=old_lines[found.old_pointer][0] if found.old_pointer else None,
                    new_line=new_lines[found.new_pointer][0] if found.new_pointer else None,
                )
            )
        changes.sort(key=lambda c: (not c.breaking, c.new_line or 0, c.old_line or 0, c.kind))
        return changes


def _message(found: Found, operations: list[str]) -> str:
    parts = []
    if operations:
        more = len(operations) - 1
        parts.append(f"{operations[0]} and {more} more" if more else operations[0])
    if found.where:
        parts.append(found.where)
    head = ": ".join(parts)
    return f"{head}: {found.detail}" if head else found.detail
