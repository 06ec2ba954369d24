"""A short, readable string that a schema's `pattern` matches.

Python's own regex parser (`re._parser`) reads the pattern; this walks its tree. Libraries that
do the same (rstr's `xeger`, exrex) repeat `+` and `*` up to 100 times and draw from every
printable character, control characters included: fine for fuzzing, not for a mock whose
answers people read. Here repeats stay near their minimum and free characters are letters and
digits. A pattern this cannot satisfy (look-arounds, back-references to unmatched groups) gives
`None`, and the caller falls back to another value.
"""

from __future__ import annotations

import importlib
import re
import string
from random import Random
from typing import Any

__all__ = ["string_for_pattern"]

_parser: Any = importlib.import_module("re._parser")
_MAX_EXTRA_REPEATS = 6
_READABLE = string.ascii_letters + string.digits
_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": _READABLE,
    "CATEGORY_WORD": _READABLE + "_",
    "CATEGORY_NOT_WORD": "-.",
}
_PRINTABLE = [chr(c) for c in range(0x21, 0x7F)]


def string_for_pattern(pattern: str, rng: Random, *, attempts: int = 8) -> str | None:
    """A string that `re.search(pattern, ...)` accepts, or None when none was found."""
    try:
        compiled = re.compile(pattern)
        tree = _parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    for _ in range(attempts):
        try:
            candidate = _Walk(rng).sequence(tree)
        except _Unsupported:
            return None
        if compiled.search(candidate):
            return candidate
    return None


class _Unsupported(Exception):
    pass


class _Walk:
    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.groups: dict[int, str] = {}

    def sequence(self, items: Any) -> str:
        return "".join(self.item(op, value) for op, value in items)

    def item(self, op: Any, value: Any) -> str:
        name = str(op)
        if name == "LITERAL":
            return chr(value)
        if name == "NOT_LITERAL":
            return self.rng.choice([c for c in _READABLE if ord(c) != value])
        if name == "ANY":
            return self.rng.choice(_READABLE)
        if name == "IN":
            return self.one_of(value)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = value
            upper = low + _MAX_EXTRA_REPEATS
            if high is not _parser.MAXREPEAT:
                upper = min(upper, high)
            # Lean towards the minimum: short values read better.
            count = low if upper == low else self.rng.randint(low, max(low, (low + upper) // 2))
            return "".join(self.sequence(body) for _ in range(count))
        if name == "SUBPATTERN":
            group, _add, _del, body = value
            text = self.sequence(body)
            if group is not None:
                self.groups[group] = text
            return text
        if name == "BRANCH":
            return self.sequence(self.rng.choice(value[1]))
        if name == "AT":
            return ""
        if name == "GROUPREF":
            if value not in self.groups:
                raise _Unsupported
            return self.groups[value]
        if name == "ATOMIC_GROUP":
            return self.sequence(value)
        raise _Unsupported

    def one_of(self, members: Any) -> str:
        allowed: list[str] = []
        negate = False
        for op, value in members:
            name = str(op)
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                allowed.append(chr(value))
            elif name == "RANGE":
                low, high = value
                allowed.extend(chr(c) for c in range(low, min(high, low + 400) + 1))
            elif name == "CATEGORY":
                allowed.extend(_CATEGORIES.get(str(value), ""))
            else:
                raise _Unsupported
        if negate:
            excluded = set(allowed)
            readable = [c for c in _READABLE if c not in excluded]
            pool = readable or [c for c in _PRINTABLE if c not in excluded]
            if not pool:
                raise _Unsupported
            return self.rng.choice(pool)
        if not allowed:
            raise _Unsupported
        readable = [c for c in allowed if c in _READABLE]
        return self.rng.choice(readable or allowed)
