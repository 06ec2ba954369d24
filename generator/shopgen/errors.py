"""The exceptions shopgen raises.

    ShopgenError            anything shopgen raises on purpose
    └── UserError           bad contract, ruleset, answers or arguments: exit 2, one line
        └── LintFailed      the contract has lint errors, so nothing was generated: exit 1

Anything else escaping a command is a bug in shopgen.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["LintFailed", "ShopgenError", "UserError"]


class ShopgenError(Exception):
    """Base class of every exception shopgen raises on purpose."""


class UserError(ShopgenError):
    """A mistake in what the user gave us, reported as ``path:line:col: message``."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return where + self.message


class LintFailed(UserError):
    """The contract has findings at error severity; generation or a build stopped."""

    exit_code = 1
