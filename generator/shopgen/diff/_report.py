"""What `compare` hands to reporters: frozen changes, ordered, with the exit code rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["Change", "DiffReport", "FailOn"]

FailOn = Literal["breaking", "any", "none"]


@dataclass(frozen=True)
class Change:
    """One change, reported once even when a shared component exposes it in many operations."""

    kind: str
    breaking: bool
    message: str
    operations: tuple[str, ...] = ()
    """Every operation that exposes the change, as `METHOD /path (operationId)`."""
    old_pointer: str | None = None
    new_pointer: str | None = None
    old_line: int | None = None
    new_line: int | None = None


@dataclass(frozen=True)
class DiffReport:
    """The changes from `old` to `new`: breaking first, then in the new contract's order."""

    old: Path
    new: Path
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaking)

    @property
    def non_breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.breaking)

    def counts(self) -> dict[str, int]:
        return {"breaking": len(self.breaking), "non_breaking": len(self.non_breaking)}

    def exit_code(self, fail_on: FailOn = "breaking") -> int:
        """1 if something breaks (`breaking`), anything changed (`any`); never for `none`."""
        if fail_on == "breaking":
            return 1 if self.breaking else 0
        if fail_on == "any":
            return 1 if self.changes else 0
        return 0
