"""One walk over a parsed document that collects what later stages look up.

Every stage used to walk the whole document for itself (refs, ignore markers, depth); on
GitHub's description each walk cost a quarter of a second. This walk does it once and builds
a pointer only for the nodes it keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["IGNORE_KEY", "DocumentIndex", "TooDeep", "index_document"]

IGNORE_KEY = "x-shopgen-ignore"

# A node's place as a linked chain (parent, key): cheap to make, turned into a pointer on demand.
_Link = tuple[Any, str | int] | None


class TooDeep(ValueError):
    """The document nests deeper than allowed."""


@dataclass
class DocumentIndex:
    ref_holders: list[tuple[dict[str, Any], str]]
    """Every mapping with a `$ref` key, and its pointer."""
    ignore_scopes: dict[tuple[str, ...], frozenset[str]]
    """The pointer parts of every node with `x-shopgen-ignore`, and the rule ids it names."""


def index_document(document: Any, max_depth: int) -> DocumentIndex:
    holders: list[tuple[dict[str, Any], str]] = []
    scopes: dict[tuple[str, ...], frozenset[str]] = {}
    stack: list[tuple[Any, _Link, int]] = [(document, None, 1)]
    seen: set[int] = set()
    while stack:
        node, link, depth = stack.pop()
        if depth > max_depth:
            raise TooDeep(max_depth)
        if id(node) in seen:  # shared through a YAML alias: already walked
            continue
        seen.add(id(node))
        child_depth = depth + 1
        if isinstance(node, dict):
            if "$ref" in node:
                holders.append((node, _pointer(link)))
            ignored = node.get(IGNORE_KEY)
            if isinstance(ignored, list):
                scopes[_parts(link)] = frozenset(str(rule_id) for rule_id in ignored)
            for key, value in node.items():
                if isinstance(value, dict | list):
                    stack.append((value, (link, key), child_depth))
        else:
            for position, value in enumerate(node):
                if isinstance(value, dict | list):
                    stack.append((value, (link, position), child_depth))
    return DocumentIndex(holders, scopes)


def _parts(link: _Link) -> tuple[str, ...]:
    parts: list[str] = []
    while link is not None:
        link, key = link
        parts.append(str(key))
    return tuple(reversed(parts))


def _pointer(link: _Link) -> str:
    return "".join(
        "/" + part.replace("~", "~0").replace("/", "~1")
        if ("~" in part or "/" in part)
        else "/" + part
        for part in _parts(link)
    )
