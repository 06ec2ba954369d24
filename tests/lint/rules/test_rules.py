"""Every rule against its own examples: `bad` fires at `at`, `good` stays quiet."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopgen.contract import Contract
from shopgen.lint import Rule, all_rules, lint_contract, load_ruleset

BASE = yaml.safe_load((Path(__file__).parent / "base.yaml").read_text())


def merged(fragment: str) -> dict[str, Any]:
    """The base contract with a rule example merged in (mappings merge, the rest replaces)."""

    def merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    document = copy.deepcopy(BASE)
    merge(document, yaml.safe_load(fragment) or {})
    return document


def problems(rule: Rule, document: dict[str, Any]) -> list[str]:
    return [p.pointer for p in rule.check(Contract.from_document(document))]


def test_base_contract_passes_every_rule() -> None:
    report = lint_contract(Contract.from_document(copy.deepcopy(BASE)), load_ruleset())
    assert [(f.rule, f.pointer, f.message) for f in report.findings] == []


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_good_example_passes(rule: Rule) -> None:
    assert problems(rule, merged(rule.good)) == []


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_bad_example_fails_where_documented(rule: Rule) -> None:
    found = problems(rule, merged(rule.bad))
    assert rule.at in found, f"{rule.id}: expected a problem at {rule.at}, got {found}"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_is_documented(rule: Rule) -> None:
    assert rule.summary
    assert len(rule.rationale) >= 80, f"{rule.id}: the rationale should say why"
    assert rule.good.strip() and rule.bad.strip()


def test_house_ruleset_lists_every_rule_at_its_default() -> None:
    house = yaml.safe_load((Path(__file__).parents[3] / "specs" / "house-rules.yaml").read_text())[
        "rules"
    ]
    assert house == {r.id: r.default_severity for r in all_rules()}
