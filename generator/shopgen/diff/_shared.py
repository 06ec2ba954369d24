"""Shared components: a change inside one is one change, whichever operations use it.

A response, request body or parameter written once under `components` and referenced by many
operations is compared where it is written, so the changes found in it have the same pointers
(and the same name) for every operation, and the collector lists the operations on one change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shopgen.contract import Contract, split_pointer

from ._collect import code

__all__ = ["Place", "places"]


@dataclass(frozen=True)
class Place:
    node: Any
    """The object, refs followed."""
    pointer: str
    """Where to compare it: the component when both versions use one, else the operation's."""
    component: str | None
    """The component's name, when it is one."""

    def label(self, fallback: str, kind: str) -> str:
        """`response `NotFound`` for a component, else `fallback` (`response 404`)."""
        return f"{kind} {code(self.component)}" if self.component is not None else fallback


def places(
    old: Contract, old_raw: Any, old_at: str, new: Contract, new_raw: Any, new_at: str, section: str
) -> tuple[Place, Place]:
    """The two versions of what operations write at `old_at` and `new_at`.

    When both are references to `components/<section>` (`responses`, `requestBodies`,
    `parameters`), they are compared as those components.
    """
    before, after = _place(old, old_raw, old_at, section), _place(new, new_raw, new_at, section)
    if before.component is None or after.component is None:
        return Place(before.node, old_at, None), Place(after.node, new_at, None)
    return before, after


def _place(contract: Contract, raw: Any, written: str, section: str) -> Place:
    node, resolved = contract.deref_pointer(raw, written)
    parts = split_pointer(resolved)
    if resolved != written and len(parts) == 3 and parts[:2] == ["components", section]:
        return Place(node, resolved, parts[2])
    return Place(node, written, None)
