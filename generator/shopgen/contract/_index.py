"""One walk over a parsed document that collects what later stages look up.

Every stage used to walk the whole document for itself (refs, ignore markers, depth); on
GitHub's description each walk cost a quarter of a second. This walk does it once and builds
a pointer only for the nodes it keeps. It carries each node's kind (`_grammar`), so a `$ref`
is collected only where the OpenAPI grammar makes it a reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._grammar import REFERABLE, grammar_for
from ._pointer import split_pointer

__all__ = [
    "IGNORE_KEY",
    "DocumentIndex",
    "RefHolder",
    "TooDeep",
    "find_ref_holders",
    "index_document",
]

IGNORE_KEY = "x-shopgen-ignore"

# A node's place as a linked chain (parent, key): cheap to make, turned into a pointer on demand.
# The chain ends in None (the document's root) or in a `_Base` (a node deeper in it).
_Link = Any


@dataclass(frozen=True)
class _Base:
    parts: tuple[str, ...]


class TooDeep(ValueError):
    """The document nests deeper than allowed."""


@dataclass(frozen=True)
class RefHolder:
    """A node whose `$ref` is a reference: it stands where the grammar admits one."""

    node: dict[str, Any]
    pointer: str
    kind: str
    """What the reference stands for (`schema`, `parameter`, …): its target is read as that."""


@dataclass
class DocumentIndex:
    ref_holders: list[RefHolder]
    """Every reference written in the document's OpenAPI structure (none for a fragment file:
    what a referenced file holds depends on where it is referenced from)."""
    ignore_scopes: dict[tuple[str, ...], frozenset[str]]
    """The pointer parts of every node with `x-shopgen-ignore`, and the rule ids it names."""


def index_document(
    document: Any, max_depth: int, *, root: bool = True, shared: bool = True
) -> DocumentIndex:
    """Walk the whole document once: depth limit, references and ignore markers.

    `root=False` indexes a file that is only referenced: its parts get their kinds from the
    references that reach them (`find_ref_holders`). `shared=False` says that no node appears
    twice (JSON; YAML without aliases), which spares remembering every node.
    """
    holders: list[RefHolder] = []
    scopes: dict[tuple[str, ...], frozenset[str]] = {}
    _walk(document, document, None, "root" if root else None, max_depth, holders, scopes, shared)
    return DocumentIndex(holders, scopes)


def find_ref_holders(document: Any, node: Any, pointer: str, kind: str) -> list[RefHolder]:
    """The references inside `node` (at `pointer` of `document`), read as a `kind`."""
    holders: list[RefHolder] = []
    base = _Base(tuple(split_pointer(pointer))) if pointer else None
    _walk(document, node, base, kind, None, holders, None, True)
    return holders


def _walk(
    document: Any,
    start: Any,
    base: _Link,
    kind: str | None,
    max_depth: int | None,
    holders: list[RefHolder],
    scopes: dict[tuple[str, ...], frozenset[str]] | None,
    shared: bool,
) -> None:
    grammar = grammar_for(document)
    fields, maps, lists = grammar.fields, grammar.maps, grammar.lists
    limit = max_depth if max_depth is not None else float("inf")
    stack: list[tuple[Any, _Link, int, str | None]] = [(start, base, 1, kind)]
    seen: set[tuple[int, str | None]] = set()
    while stack:
        node, link, depth, kind = stack.pop()
        if depth > limit:
            raise TooDeep(max_depth)
        if shared:
            if (id(node), kind) in seen:  # shared through a YAML alias: already walked
                continue
            seen.add((id(node), kind))
        depth += 1
        if isinstance(node, dict):
            if kind is None:
                for key, value in node.items():
                    if isinstance(value, dict | list):
                        stack.append((value, (link, key), depth, None))
                continue
            if "$ref" in node and kind in REFERABLE:
                holders.append(RefHolder(node, _pointer(link), kind))
            if scopes is not None and IGNORE_KEY in node:
                ignored = node[IGNORE_KEY]
                if isinstance(ignored, list):
                    scopes[_parts(link)] = frozenset(str(rule_id) for rule_id in ignored)
            own = fields.get(kind)
            if own is not None:
                for key, value in node.items():
                    if isinstance(value, dict | list):
                        child = own.get(key)
                        if child == "schema" and isinstance(value, list):
                            child = "schema-list"  # `items: [...]` of the draft-07 dialect
                        stack.append((value, (link, key), depth, child))
                continue
            mapped = maps.get(kind)
            if mapped is None:
                child = None
                extensions = False
            else:
                child, extensions = mapped
            for key, value in node.items():
                if isinstance(value, dict | list):
                    data = extensions and isinstance(key, str) and key.startswith("x-")
                    stack.append((value, (link, key), depth, None if data else child))
        else:
            item = lists.get(kind) if kind is not None else None
            for position, value in enumerate(node):
                if isinstance(value, dict | list):
                    child = "schema-list" if item == "schema" and isinstance(value, list) else item
                    stack.append((value, (link, position), depth, child))


def _parts(link: _Link) -> tuple[str, ...]:
    parts: list[str] = []
    while link is not None:
        if isinstance(link, _Base):
            parts.extend(reversed(link.parts))
            break
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
