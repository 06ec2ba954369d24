"""What lint hands to reporters: frozen findings, ordered, with the exit code rules."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ._rule import SEVERITIES, Severity

__all__ = ["RULES_URL", "Finding", "Report", "rule_url"]

RULES_URL = "https://shopgen.dev/rules/"
"""The published rule reference; a finding links to `RULES_URL#<rule-id>`."""


def rule_url(rule_id: str) -> str:
    return f"{RULES_URL}#{rule_id}"


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    column: int
    rule: str
    severity: Severity = field(compare=False)
    message: str = field(compare=False)
    pointer: str = field(compare=False)

    @property
    def url(self) -> str:
        return rule_url(self.rule)


def severity_rank(severity: Severity) -> int:
    """0 for error, 3 for hint: lower is more severe."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Report:
    """The findings of one lint run over one contract, sorted by file, line and column."""

    contract: Path
    findings: tuple[Finding, ...]
    rules_run: int = 0

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    def counts(self) -> dict[Severity, int]:
        counted = Counter(f.severity for f in self.findings)
        return {severity: counted.get(severity, 0) for severity in SEVERITIES}

    def at_or_above(self, severity: Severity) -> tuple[Finding, ...]:
        limit = severity_rank(severity)
        return tuple(f for f in self.findings if severity_rank(f.severity) <= limit)

    def exit_code(self, fail_severity: Severity = "error") -> int:
        """1 if any finding is at or above `fail_severity`, else 0."""
        return 1 if self.at_or_above(fail_severity) else 0
