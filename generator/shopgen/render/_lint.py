"""Linting before writing: `new` and `update` stop on lint errors with the same message."""

from __future__ import annotations

from shopgen.contract import Contract
from shopgen.errors import UserError

__all__ = ["require_lint_clean"]

_SHOWN = 3


def require_lint_clean(
    contract: Contract, *, nothing: str, hint: str, error: type[UserError]
) -> None:
    """Raise `error` listing the first lint errors, e.g. "…, nothing generated: …; {hint}"."""
    from shopgen import lint

    errors = lint.lint_contract(contract).errors
    if not errors:
        return
    shown = "; ".join(f"{f.line}:{f.column}: {f.message} [{f.rule}]" for f in errors[:_SHOWN])
    hidden = len(errors) - _SHOWN
    more = f" (and {hidden} more)" if hidden > 0 else ""
    raise error(
        f"the contract has {len(errors)} lint error(s), {nothing}: {shown}{more}; {hint}",
        path=contract.path,
    )
