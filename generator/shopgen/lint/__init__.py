"""Linting contracts: structural validation plus the house rules.

report = lint.run("specs/shop.openapi.yaml")
for finding in report.findings:
    print(finding.line, finding.rule, finding.message)
sys.exit(report.exit_code("error"))
"""

from __future__ import annotations

from ._engine import lint_contract, run
from ._gate import require_clean
from ._report import Finding, Report, rule_url
from ._rule import SEVERITIES, Problem, Rule, Severity, rule
from ._ruleset import HOUSE, Ruleset, load_ruleset
from .registry import all_rules, get_rule

__all__ = [
    "HOUSE",
    "SEVERITIES",
    "Finding",
    "Problem",
    "Report",
    "Rule",
    "Ruleset",
    "Severity",
    "all_rules",
    "get_rule",
    "lint_contract",
    "load_ruleset",
    "require_clean",
    "rule",
    "rule_url",
    "run",
]
