"""House rules: envelope."""

from __future__ import annotations

from shopgen.lint._registry import Rule

__all__ = ["RULES"]

RULES: tuple[Rule, ...] = ()
