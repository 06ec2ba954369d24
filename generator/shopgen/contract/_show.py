"""Values from a contract as its readers write them: JSON (`null`, `true`, `{"type": "string"}`).

Findings and diff messages quote values from the document. Python's `repr` would print `None`,
`True` and `{'type': 'string'}`, which nobody wrote in a YAML or JSON contract.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_text"]

_LIMIT = 120


def json_text(value: Any, *, quoted: bool = False, limit: int = _LIMIT) -> str:
    """`value` as compact JSON, cut to `limit` characters with `…`.

    A string is shown as it is, or in JSON quotes with `quoted` (where it matters that it is
    a string: `"yes"` is not `true`).
    """
    if isinstance(value, str) and not quoted:
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
        except (ValueError, RecursionError):
            text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
