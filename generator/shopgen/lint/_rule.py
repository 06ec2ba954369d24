"""How a rule is declared: a function, an id, a default severity, a rationale and examples."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from shopgen.contract import Contract

__all__ = ["SEVERITIES", "Problem", "Rule", "RuleCheck", "Severity", "rule"]

Severity = Literal["error", "warn", "info", "hint"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
"""Most severe first."""

_RULE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Problem:
    """What a rule found, and where: a JSON pointer into the contract (or into `file`)."""

    pointer: str
    message: str
    file: Path | None = None
    """Set only for problems inside a file the contract references."""


RuleCheck = Callable[[Contract], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    id: str
    default_severity: Severity
    summary: str
    rationale: str
    good: str
    """A YAML fragment that passes the rule (merged into a minimal contract in the tests)."""
    bad: str
    """A YAML fragment that breaks it."""
    at: str
    """The pointer where the bad example's finding is reported."""
    check: RuleCheck

    @property
    def family(self) -> str:
        return self.check.__module__.rsplit(".", 1)[-1]


def rule(
    rule_id: str, *, default: Severity, good: str, bad: str, at: str
) -> Callable[[RuleCheck], Rule]:
    """Declare a house rule; the docstring's first line is its summary, the rest its rationale.

    The function yields a `Problem` per violation and never decides severity: the resolved
    ruleset does.
    """
    if not _RULE_ID.fullmatch(rule_id):
        raise ValueError(f"rule id `{rule_id}` is not kebab-case")
    if default not in SEVERITIES:
        raise ValueError(
            f"rule `{rule_id}`: default severity `{default}` is not one of {SEVERITIES}"
        )

    def register(check: RuleCheck) -> Rule:
        doc = inspect.cleandoc(check.__doc__ or "")
        summary, _, rationale = doc.partition("\n")
        if not summary:
            raise ValueError(f"rule `{rule_id}` has no docstring")
        return Rule(
            id=rule_id,
            default_severity=default,
            summary=summary.strip(),
            rationale=rationale.strip(),
            good=inspect.cleandoc(good),
            bad=inspect.cleandoc(bad),
            at=at,
            check=check,
        )

    return register
