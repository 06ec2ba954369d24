"""Machine-readable findings for scripts and other tools.

{
  "findings": [
    {"rule": "path-kebab-case", "severity": "warn", "message": "...", "file": "shop.yaml",
     "line": 12, "column": 3, "pointer": "/paths/~1giftCards", "url": "https://…#path-kebab-case"}
  ],
  "summary": {"contract": "shop.yaml", "total": 1, "error": 0, "warn": 1, "info": 0,
              "hint": 0, "rules_run": 32}
}
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from shopgen.lint._report import Report

__all__ = ["as_dict", "write"]


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "file": f.file,
                "line": f.line,
                "column": f.column,
                "pointer": f.pointer,
                "url": f.url,
            }
            for f in report.findings
        ],
        "summary": _summary(report),
    }


def _summary(report: Report) -> dict[str, Any]:
    summary: dict[str, Any] = {"contract": str(report.contract), "total": len(report.findings)}
    for severity, count in report.counts().items():
        summary[severity] = count
    summary["rules_run"] = report.rules_run
    return summary


def write(report: Report, out: TextIO) -> None:
    """The same text as `json.dump(as_dict(report), out, indent=2, ensure_ascii=False)`.

    `indent` makes json encode in Python, seconds for 200,000 findings; each finding is a flat
    mapping of scalars, so its lines are put together here from C-encoded strings.
    """
    if not report.findings:
        out.write('{\n  "findings": [],\n')
    else:
        text = json.JSONEncoder(ensure_ascii=False).encode
        out.write('{\n  "findings": [\n')
        out.write(
            ",\n".join(
                f'    {{\n      "rule": {text(f.rule)},\n      "severity": {text(f.severity)},\n'
                f'      "message": {text(f.message)},\n      "file": {text(f.file)},\n'
                f'      "line": {f.line},\n      "column": {f.column},\n'
                f'      "pointer": {text(f.pointer)},\n      "url": {text(f.url)}\n    }}'
                for f in report.findings
            )
        )
        out.write("\n  ],\n")
    summary = json.dumps(_summary(report), indent=2, ensure_ascii=False)
    out.write('  "summary": ' + summary.replace("\n", "\n  ") + "\n}\n")
