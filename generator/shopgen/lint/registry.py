"""Every built-in rule, joined explicitly from the family modules."""

from __future__ import annotations

from ._rule import Rule
from .rules import (
    commerce,
    components,
    envelope,
    errors,
    internal,
    methods,
    money,
    operations,
    pagination,
    paths,
    schemas,
    security,
    structure,
    webhooks,
)

__all__ = ["all_rules", "get_rule"]

_RULES: tuple[Rule, ...] = (
    *structure.RULES,
    *paths.RULES,
    *operations.RULES,
    *methods.RULES,
    *pagination.RULES,
    *envelope.RULES,
    *money.RULES,
    *security.RULES,
    *errors.RULES,
    *webhooks.RULES,
    *commerce.RULES,
    *internal.RULES,
    *schemas.RULES,
    *components.RULES,
)


def all_rules() -> tuple[Rule, ...]:
    """The built-in rules in a stable order: by family, then as declared."""
    return _RULES


def get_rule(rule_id: str) -> Rule | None:
    return next((r for r in _RULES if r.id == rule_id), None)
