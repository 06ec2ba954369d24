"""Running rules over a contract and turning their problems into located findings."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from shopgen.contract import Contract, load_contract, split_pointer

from ._report import Finding, Report
from ._rule import Problem, Severity
from ._ruleset import Ruleset, load_ruleset

__all__ = ["lint_contract", "run"]


def run(path: str | Path, *, ruleset: Path | None = None) -> Report:
    """Lint the contract at `path` with a ruleset file (default: the house rules)."""
    resolved = load_ruleset(ruleset)
    contract = load_contract(path)
    return lint_contract(contract, resolved)


def lint_contract(contract: Contract, ruleset: Ruleset | None = None) -> Report:
    """Lint an already loaded contract; a Swagger 2.0 document is a `UserError`."""
    contract.refuse_swagger()
    ruleset = ruleset if ruleset is not None else load_ruleset()
    scopes = contract.source.index.ignore_scopes
    raw: list[tuple[str, Severity, Problem]] = []
    for rule, severity in ruleset.enabled():
        for problem in rule.check(contract):
            if problem.file is None and _ignored(rule.id, problem.pointer, scopes):
                continue
            raw.append((rule.id, severity, problem))
    findings = _locate(contract, raw)
    return Report(
        contract=contract.path, findings=tuple(sorted(findings)), rules_run=len(ruleset.severities)
    )


def _ignored(rule_id: str, pointer: str, scopes: dict[tuple[str, ...], frozenset[str]]) -> bool:
    if not scopes:
        return False
    parts = tuple(split_pointer(pointer))
    return any(rule_id in scopes.get(parts[:depth], ()) for depth in range(len(parts) + 1))


def _locate(contract: Contract, raw: list[tuple[str, Severity, Problem]]) -> list[Finding]:
    by_file: dict[Path | None, set[str]] = defaultdict(set)
    for _, _, problem in raw:
        by_file[problem.file].add(problem.pointer)
    positions: dict[Path | None, dict[str, tuple[int, int]]] = {}
    for file, pointers in by_file.items():
        source = contract.source if file is None else _source_for(contract, file)
        positions[file] = (
            source.locate_many(pointers) if source else dict.fromkeys(pointers, (1, 1))
        )
    names = {file: str(file if file is not None else contract.path) for file in by_file}
    findings = []
    for rule_id, severity, problem in raw:
        line, column = positions[problem.file][problem.pointer]
        findings.append(
            Finding(
                file=names[problem.file],
                line=line,
                column=column,
                rule=rule_id,
                severity=severity,
                message=problem.message,
                pointer=problem.pointer,
            )
        )
    return findings


def _source_for(contract: Contract, file: Path) -> Any:
    for source in contract.references.files.values():
        if source.path == file:
            return source
    return None
