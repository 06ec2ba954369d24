"""What a contract says about a part in words: its `description`, read by heuristic rules.

A name alone misleads (`amountToSkip` is a time, `key` may name an asset size), so the rules
that judge by names also read what the author wrote about the part.
"""

from __future__ import annotations

import re
from typing import Any

from shopgen.contract import Contract

__all__ = ["described"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def described(contract: Contract, node: Any, holder: Any = None, name: str | None = None) -> str:
    """The descriptions of `node` (and of what it references), and the sentences of the
    `holder`'s description that name `name` (`The `amountToSkip` is the amount of …`)."""
    texts = []
    for part in (node, contract.deref(node)):
        if isinstance(part, dict) and isinstance(part.get("description"), str):
            texts.append(part["description"])
    if name is not None and isinstance(holder, dict):
        about = holder.get("description")
        if isinstance(about, str):
            word = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
            texts += [s for s in _SENTENCE_END.split(about) if word.search(s)]
    return " ".join(dict.fromkeys(texts))
