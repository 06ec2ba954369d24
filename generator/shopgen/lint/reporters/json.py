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
        "summary": {
            "contract": str(report.contract),
            "total": len(report.findings),
            **report.counts(),
            "rules_run": report.rules_run,
        },
    }


def write(report: Report, out: TextIO) -> None:
    json.dump(as_dict(report), out, indent=2, ensure_ascii=False)
    out.write("\n")
