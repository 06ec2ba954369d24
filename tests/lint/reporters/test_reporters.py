"""Each reporter against a golden file; SARIF against the official 2.1.0 schema."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import jsonschema
import pytest

from shopgen.lint import Finding, Report
from shopgen.lint.reporters import FORMATS, text

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"

REPORT = Report(
    contract=Path("specs/shop.yaml"),
    findings=(
        Finding(
            file="specs/shop.yaml",
            line=12,
            column=3,
            rule="demo-path-case",
            severity="warn",
            message="segment `giftCards` is not kebab-case; use `gift-cards`",
            pointer="/paths/~1api~1v1~1giftCards",
        ),
        Finding(
            file="specs/shop.yaml",
            line=40,
            column=11,
            rule="demo-structure",
            severity="error",
            message="'version' is a required property",
            pointer="/info",
        ),
        Finding(
            file="specs/schemas/money.yaml",
            line=2,
            column=1,
            rule="demo-money",
            severity="hint",
            message="a message with a newline\nand 100% of a comma, colon: here",
            pointer="/Money",
        ),
    ),
    rules_run=32,
)


def render(fmt: str, report: Report = REPORT) -> str:
    out = io.StringIO()
    FORMATS[fmt](report, out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_matches_golden_file(fmt: str) -> None:
    golden = GOLDEN / f"report.{fmt}"
    produced = render(fmt)
    if os.environ.get("SHOPGEN_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(produced)
    assert produced == golden.read_text()


def test_sarif_is_valid_against_the_official_schema() -> None:
    schema = json.loads((HERE / "sarif-2.1.0-rtm.5.json").read_text())
    log = json.loads(render("sarif"))
    jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)
    results = log["runs"][0]["results"]
    assert [r["level"] for r in results] == ["warning", "error", "note"]
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 12,
        "startColumn": 3,
    }
    assert {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]} == {
        "demo-path-case",
        "demo-structure",
        "demo-money",
    }


def test_sarif_describes_registered_rules() -> None:
    finding = REPORT.findings[1]
    real = Report(
        contract=REPORT.contract,
        findings=(Finding(**{**finding.__dict__, "rule": "oas-structure"}),),
    )
    descriptor = json.loads(render("sarif", real))["runs"][0]["tool"]["driver"]["rules"][0]
    assert descriptor["id"] == "oas-structure"
    assert descriptor["shortDescription"]["text"].startswith("The document must be valid OpenAPI")
    assert descriptor["defaultConfiguration"] == {"level": "error"}
    assert descriptor["helpUri"].endswith("#oas-structure")


def test_empty_sarif_is_valid() -> None:
    schema = json.loads((HERE / "sarif-2.1.0-rtm.5.json").read_text())
    empty = Report(contract=Path("shop.yaml"), findings=())
    jsonschema.validate(json.loads(render("sarif", empty)), schema, cls=jsonschema.Draft4Validator)


def test_json_lists_every_documented_field() -> None:
    data = json.loads(render("json"))
    assert set(data["findings"][0]) == {
        "rule",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "pointer",
        "url",
    }
    assert data["summary"] == {
        "contract": "specs/shop.yaml",
        "total": 3,
        "error": 1,
        "warn": 1,
        "info": 0,
        "hint": 1,
        "rules_run": 32,
    }


def test_github_escapes_workflow_command_data() -> None:
    lines = render("github").splitlines()
    assert lines[2] == (
        "::notice file=specs/schemas/money.yaml,line=2,col=1,"
        "title=demo-money (hint)::"
        "a message with a newline%0Aand 100%25 of a comma, colon: here"
    )


def test_text_keeps_one_finding_per_line() -> None:
    lines = render("text").splitlines()
    assert len(lines) == 4
    assert lines[2].endswith("a message with a newline and 100% of a comma, colon: here")


def test_text_colours_only_when_asked() -> None:
    plain, coloured = io.StringIO(), io.StringIO()
    text.write(REPORT, plain)
    text.write(REPORT, coloured, colour=True)
    assert "\033[" not in plain.getvalue()
    assert "\033[31merror\033[0m" in coloured.getvalue()


@pytest.mark.parametrize(
    "report",
    [
        REPORT,
        Report(contract=Path("empty.yaml"), findings=(), rules_run=3),
        Report(
            contract=Path("ünï.yaml"),
            findings=(
                Finding(
                    file="ünï.yaml",
                    line=1,
                    column=1,
                    rule="r",
                    severity="info",
                    message='quotes " backslash \\ tab \t control \x01 emoji 🛒 ~1/',
                    pointer="/a~1b/\u2028",
                ),
            ),
        ),
    ],
    ids=["findings", "empty", "escapes"],
)
def test_json_is_what_json_dump_with_indent_writes(report: Report) -> None:
    """The JSON reporter assembles its text itself for speed; it must be json.dump's."""
    from shopgen.lint.reporters.json import as_dict

    expected = json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
    assert render("json", report) == expected
