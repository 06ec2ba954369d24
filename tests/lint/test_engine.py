"""The engine: x-shopgen-ignore scopes, severities from the ruleset, sorted located findings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from shopgen import forking
from shopgen.contract import Contract
from shopgen.lint import Report, lint_contract, run
from shopgen.resources import bundled_contract

CONTRACT = """\
openapi: 3.1.0
info: {title: Shop, version: '1'}
servers: [{url: 'https://api.example-shop.com'}]
paths:
  /api/v1/giftCards:
    x-shopgen-ignore: [path-kebab-case]
    get:
      operationId: listGiftCards
      summary: List gift cards
      responses:
        '204': {description: none}
  /api/v1/storeCredits:
    get:
      operationId: listStoreCredits
      summary: List store credits
      responses:
        '204': {description: none}
components:
  schemas:
    Payload:
      type: object
      x-shopgen-ignore: [property-snake-case]
      properties:
        nonceStr: {type: string}
    Other:
      type: object
      properties:
        paySign: {type: string}
"""


def lint(tmp_path: Path, rules: str = "extends: [shopgen:house]\n") -> list[tuple[str, str]]:
    contract = tmp_path / "api.yaml"
    contract.write_text(CONTRACT)
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_text(rules)
    return [(f.rule, f.pointer) for f in run(contract, ruleset=ruleset).findings]


def test_ignore_applies_only_inside_the_marked_node(tmp_path: Path) -> None:
    found = lint(tmp_path)
    kebab = [pointer for rule, pointer in found if rule == "path-kebab-case"]
    snake = [pointer for rule, pointer in found if rule == "property-snake-case"]
    assert kebab == ["/paths/~1api~1v1~1storeCredits"]
    assert snake == ["/components/schemas/Other/properties/paySign"]


def test_ignore_names_rules_not_everything(tmp_path: Path) -> None:
    found = lint(tmp_path)
    # The marked operation still gets every other rule's findings.
    assert any(
        p.startswith("/paths/~1api~1v1~1giftCards")
        for rule, p in found
        if rule != "path-kebab-case"
    )


def test_ruleset_severity_and_off(tmp_path: Path) -> None:
    contract = tmp_path / "api.yaml"
    contract.write_text(CONTRACT)
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_text(
        "extends: [shopgen:house]\nrules:\n  path-kebab-case: error\n  property-snake-case: off\n"
    )
    report = run(contract, ruleset=ruleset)
    assert {f.severity for f in report.findings if f.rule == "path-kebab-case"} == {"error"}
    assert not [f for f in report.findings if f.rule == "property-snake-case"]
    assert list(report.findings) == sorted(report.findings)
    assert report.exit_code("error") == 1


def _findings(report: Report) -> list[tuple[int, int, str, str]]:
    return [(f.line, f.column, f.rule, f.message) for f in report.findings]


def _money_slip() -> Contract:
    """The canonical contract with findings for both heavy rules: an example its schema
    refuses (`examples-valid`) and a price in decimal units (`money-integer-minor-units`)."""
    document = yaml.safe_load(bundled_contract().read_text(encoding="utf-8"))
    product = document["components"]["schemas"]["Product"]
    product["properties"]["price_cents"]["example"] = "twelve"
    product["properties"]["list_price"] = {"type": "number", "format": "float"}
    return Contract.from_document(document)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
def test_a_parallel_run_finds_what_a_serial_one_does() -> None:
    contract = _money_slip()
    serial = lint_contract(contract)
    rules = {f.rule for f in serial.findings}
    assert {"examples-valid", "money-integer-minor-units"} <= rules, rules
    parallel = lint_contract(contract, parallel=True, split_above=0)
    assert _findings(parallel) == _findings(serial)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
def test_a_failed_fork_runs_its_rules_here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A child that dies without answering costs time, never findings."""
    contract = _money_slip()
    serial = lint_contract(contract)
    marker = tmp_path / "forked"

    def die(*args: object) -> None:
        marker.write_text(str(os.getpid()))
        os._exit(3)

    monkeypatch.setattr(forking, "_run", die)
    parallel = lint_contract(contract, parallel=True, split_above=0)
    assert marker.read_text() != str(os.getpid())  # the rules were sent to another process
    assert _findings(parallel) == _findings(serial)
