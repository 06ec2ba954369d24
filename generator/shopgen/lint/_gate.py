"""Stopping a command on lint errors: `new`, `update` and `docs` say it the same way.

shop.yaml:12:3: lint error: segment `giftCards` is not kebab-case [path-kebab-case]
(and 2 more); nothing generated: `shopgen lint` lists them, --skip-lint generates anyway
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from shopgen.contract import Contract
from shopgen.errors import LintFailed, UserError

__all__ = ["require_clean"]


class _Located(Protocol):
    @property
    def rule(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def file(self) -> str | Path | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> int | None: ...


class _Checked(Protocol):
    @property
    def errors(self) -> Sequence[_Located]: ...


def require_clean(
    contract: Contract,
    *,
    stopped: str,
    skip: str | None = None,
    error: type[UserError] = LintFailed,
    linter: Callable[[Contract], _Checked] | None = None,
) -> None:
    """Lint `contract` (with `linter`, default the house rules) and raise `error` at the first
    error's position if there is any. `stopped` says what did not happen ("nothing
    generated"), `skip` how to go on anyway ("--skip-lint generates anyway")."""
    if linter is None:
        from ._engine import lint_contract

        linter = lint_contract
    errors = list(linter(contract).errors)
    if not errors:
        return
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    then = f", {skip}" if skip else ""
    raise error(
        f"lint error: {first.message} [{first.rule}]{more}; {stopped}: "
        f"`shopgen lint` lists them{then}",
        path=first.file if first.file is not None else contract.path,
        line=first.line,
        column=first.column,
    )
