"""SARIF 2.1.0, which GitHub code scanning and most CI dashboards import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from shopgen import __version__
from shopgen.lint._report import RULES_URL, Report, rule_url
from shopgen.lint.registry import all_rules

__all__ = ["write"]

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warn": "warning", "info": "note", "hint": "note"}


def write(report: Report, out: TextIO) -> None:
    rules = {r.id: r for r in all_rules()}
    used = sorted({f.rule for f in report.findings})
    descriptors = []
    for rule_id in used:
        described = rules.get(rule_id)
        descriptor: dict[str, Any] = {"id": rule_id, "helpUri": rule_url(rule_id)}
        if described is not None:
            descriptor["shortDescription"] = {"text": described.summary}
            descriptor["fullDescription"] = {"text": described.rationale or described.summary}
            descriptor["defaultConfiguration"] = {"level": _LEVELS[described.default_severity]}
        descriptors.append(descriptor)
    index = {rule_id: i for i, rule_id in enumerate(used)}
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file)},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    },
                    "logicalLocations": [
                        {"fullyQualifiedName": f.pointer or "/", "kind": "object"}
                    ],
                }
            ],
        }
        for f in report.findings
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "shopgen",
                        "version": __version__,
                        "informationUri": RULES_URL,
                        "rules": descriptors,
                    }
                },
                "results": results,
            }
        ],
    }
    json.dump(log, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _uri(file: str) -> str:
    """A relative POSIX URI, as code scanning maps it onto the repository."""
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return path.as_uri()
    return path.as_posix()
