"""Machine-readable changes for scripts and other tools.

{
  "changes": [
    {"kind": "operation-removed", "breaking": true,
     "message": "DELETE /orders/{id} (deleteOrder): removed",
     "operations": ["DELETE /orders/{id} (deleteOrder)"],
     "old": {"pointer": "/paths/~1orders~1{id}/delete", "line": 40},
     "new": {"pointer": "/paths/~1orders~1{id}", "line": 31}}
  ],
  "summary": {"old": "main.yaml", "new": "openapi.yaml", "breaking": 1, "non_breaking": 0}
}

`old`/`new` are null where the change has no place in that file.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from shopgen.diff._report import DiffReport

__all__ = ["as_dict", "write"]


def as_dict(report: DiffReport) -> dict[str, Any]:
    return {
        "changes": [
            {
                "kind": c.kind,
                "breaking": c.breaking,
                "message": c.message,
                "operations": list(c.operations),
                "old": None
                if c.old_pointer is None
                else {"pointer": c.old_pointer, "line": c.old_line},
                "new": None
                if c.new_pointer is None
                else {"pointer": c.new_pointer, "line": c.new_line},
            }
            for c in report.changes
        ],
        "summary": {"old": str(report.old), "new": str(report.new), **report.counts()},
    }


def write(report: DiffReport, out: TextIO) -> None:
    json.dump(as_dict(report), out, indent=2, ensure_ascii=False)
    out.write("\n")
