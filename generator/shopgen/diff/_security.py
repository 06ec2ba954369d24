"""Security requirements of one operation, and the schemes they name.

A client holds the credentials of one old alternative (`[{oauth: [orders:read]}, {apiKey: []}]`
offers two). It still gets in if some new alternative asks for no scheme it lacks and no scope
beyond the ones it has; when an old alternative has no such successor, that client is locked out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shopgen.contract import Contract, Operation, join_pointer

from ._collect import Found, code

__all__ = ["compare_security"]

_Requirement = dict[str, frozenset[str]]
_SCHEME_FIELDS = ("type", "in", "name", "scheme", "openIdConnectUrl")


def _requirements(operation: Operation) -> list[_Requirement]:
    return [
        {str(k): frozenset(v if isinstance(v, list) else []) for k, v in r.items()}
        for r in operation.security
    ]


def _admits(new: _Requirement, old: _Requirement) -> bool:
    """A client that satisfies `old` satisfies `new`."""
    return all(name in old and scopes <= old[name] for name, scopes in new.items())


def _show(requirements: list[_Requirement]) -> str:
    if not requirements or {} in requirements:
        return "`public`"
    shown = [
        " + ".join(
            f"{name}[{', '.join(sorted(scopes))}]" if scopes else name for name, scopes in r.items()
        )
        for r in requirements
    ]
    return " or ".join(f"{code(s)}" for s in shown)


def _security_pointer(operation: Operation) -> str:
    if "security" in operation.node:
        return f"{operation.pointer}/security"
    if "security" in operation.contract.document:
        return "/security"
    return operation.pointer


def compare_security(old: Operation, new: Operation) -> Iterator[Found]:
    was, now = _requirements(old), _requirements(new)
    old_at, new_at = _security_pointer(old), _security_pointer(new)
    detail = f"security {_show(was)} → {_show(now)}"
    if not old.is_secured:
        if new.is_secured:
            yield Found("security-added", "", detail, old_at, new_at)
        return
    if not new.is_secured:
        yield Found("security-removed", "", detail, old_at, new_at)
        return
    if was == now:
        yield from _scheme_changes(old, new)
        return
    locked_out = [r for r in was if not any(_admits(n, r) for n in now)]
    if not locked_out:
        yield Found("security-loosened", "", detail, old_at, new_at)
    elif all(any(n.keys() == r.keys() for n in now) for r in locked_out):
        yield Found("security-scopes-added", "", detail, old_at, new_at)
    else:
        yield Found("security-requirement-changed", "", detail, old_at, new_at)
    yield from _scheme_changes(old, new)


def _scheme_changes(old: Operation, new: Operation) -> Iterator[Found]:
    """A scheme both versions name but define differently: `in: header` → `in: query`."""
    used = {name for r in new.security for name in r} & {name for r in old.security for name in r}
    for name in sorted(used):
        before = _scheme(old.contract, name)
        after = _scheme(new.contract, name)
        if before is None or after is None:
            continue
        changed = [f for f in _SCHEME_FIELDS if before.get(f) != after.get(f)]
        if changed:
            field = changed[0]
            detail = f"{code(field)} {code(before.get(field))} → {code(after.get(field))}"
            pointer = join_pointer(["components", "securitySchemes", name])
            yield Found(
                "security-scheme-changed", f"security scheme {code(name)}", detail, pointer, pointer
            )


def _scheme(contract: Contract, name: str) -> dict[str, Any] | None:
    node = contract.deref(contract.components("securitySchemes").get(name))
    return node if isinstance(node, dict) else None
