"""Running rules over a contract and turning their problems into located findings.

On a large contract (GitHub's REST description, a generated contract of 100,000 operations)
the rules that validate every example and follow every money field take half of the rules'
time. On Linux with a spare CPU they run in a forked process, which sees the loaded contract
without copying it, while the other rules run here; only their problems come back.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopgen.contract import Contract, load_contract, split_pointer

from ._report import Finding, Report
from ._rule import Problem, Severity
from ._ruleset import Ruleset, load_ruleset

if TYPE_CHECKING:
    from ._rule import Rule

__all__ = ["lint_contract", "run"]

_SPLIT_ABOVE = 1024 * 1024
"""Contracts with more text than this run their heaviest rules in a forked process."""
_HEAVY_RULES = frozenset({"examples-valid", "money-integer-minor-units"})

Raw = list[tuple[str, Severity, Problem]]


def run(path: str | Path, *, ruleset: Path | None = None, parallel: bool = False) -> Report:
    """Lint the contract at `path` with a ruleset file (default: the house rules).

    `parallel` lets a large contract's heaviest rules run in a forked process: for a
    command-line run, not for a process with threads of its own (a fork copies only the
    calling thread, and a lock another thread holds would stay held in the child).
    """
    resolved = load_ruleset(ruleset)
    contract = load_contract(path)
    return lint_contract(contract, resolved, parallel=parallel)


def lint_contract(
    contract: Contract,
    ruleset: Ruleset | None = None,
    *,
    parallel: bool = False,
    split_above: int = _SPLIT_ABOVE,
) -> Report:
    """Lint an already loaded contract; a Swagger 2.0 document is a `UserError`.

    With `parallel` (see `run`), a contract of more than `split_above` characters runs its
    heaviest rules in a forked process where forking is available.
    """
    contract.refuse_swagger()
    ruleset = ruleset if ruleset is not None else load_ruleset()
    enabled = ruleset.enabled()
    heavy = [(rule, severity) for rule, severity in enabled if rule.id in _HEAVY_RULES]
    forked = None
    if parallel and heavy and len(contract.text) > split_above:
        from shopgen.forking import Forked, can_fork

        if can_fork():
            # Rules on both sides read every schema: walked once here, shared by the fork.
            contract.schemas  # noqa: B018
            forked = Forked.start(lambda: _check(contract, heavy))
    here = [pair for pair in enabled if pair not in heavy] if forked is not None else enabled
    raw = _check(contract, here)
    if forked is not None:
        # A failed child: its rules run here, where any error surfaces as it would have.
        from_child = forked.result()
        raw.extend(from_child if from_child is not None else _check(contract, heavy))
    findings = _locate(contract, raw, parallel=parallel)
    return Report(
        contract=contract.path, findings=tuple(sorted(findings)), rules_run=len(ruleset.severities)
    )


def _check(contract: Contract, rules: list[tuple[Rule, Severity]]) -> Raw:
    scopes = contract.source.index.ignore_scopes
    raw: Raw = []
    for rule, severity in rules:
        for problem in rule.check(contract):
            if problem.file is None and _ignored(rule.id, problem.pointer, scopes):
                continue
            raw.append((rule.id, severity, problem))
    return raw


def _ignored(rule_id: str, pointer: str, scopes: dict[tuple[str, ...], frozenset[str]]) -> bool:
    if not scopes:
        return False
    parts = tuple(split_pointer(pointer))
    return any(rule_id in scopes.get(parts[:depth], ()) for depth in range(len(parts) + 1))


def _locate(contract: Contract, raw: Raw, *, parallel: bool) -> list[Finding]:
    by_file: dict[Path | None, set[str]] = defaultdict(set)
    for _, _, problem in raw:
        by_file[problem.file].add(problem.pointer)
    positions: dict[Path | None, dict[str, tuple[int, int]]] = {}
    for file, pointers in by_file.items():
        source = contract.source if file is None else _source_for(contract, file)
        positions[file] = (
            source.locate_many(pointers, parallel=parallel)
            if source
            else dict.fromkeys(pointers, (1, 1))
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
