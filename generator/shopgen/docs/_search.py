"""The cross-version search index: operations, paths and schemas of every version, once each.

An entry is `[kind, name, detail, text, anchor, versions]`: what the search box matches and
shows, the ReDoc anchor to open, and the indexes of the versions that have it, newest first. An
entry that is the same in ten versions is stored once with ten indexes, so the index of a site
grows with what changed, not with the number of versions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from shopgen.contract import Contract, Operation

__all__ = ["Entry", "SearchIndex", "operation_anchor", "operation_anchors", "version_entries"]

Entry = tuple[str, str, str, str, str]
"""(kind, name, detail, text, anchor) of one thing in one version."""

_TEXT_LIMIT = 200
_PARAM = re.compile(r"\{[^}/]*\}")


def operation_anchor(operation: Operation) -> str:
    """The fragment ReDoc gives an operation (`operation/<operationId>`); "" without an id."""
    if not operation.operation_id:
        return ""
    return "operation/" + quote(operation.operation_id, safe="/-._~!$'()*+,;=:@")


def normalise_template(template: str) -> str:
    """`/orders/{id}` and `/orders/{order_id}` are one path to a client."""
    return _PARAM.sub("{}", template)


def operation_anchors(contract: Contract) -> dict[tuple[str, str], str]:
    """(METHOD, normalised path template) → anchor, for linking changes to operations."""
    anchors: dict[tuple[str, str], str] = {}
    for operation in contract.operations:
        key = (operation.method.upper(), normalise_template(operation.path.template))
        anchors.setdefault(key, operation_anchor(operation))
    return anchors


def version_entries(contract: Contract) -> list[Entry]:
    """What one version contributes to the index, in document order."""
    entries: list[Entry] = []
    first_anchor: dict[str, str] = {}
    for operation in contract.operations:
        anchor = operation_anchor(operation)
        template = operation.path.template
        first_anchor.setdefault(template, anchor)
        detail = f"{operation.method.upper()} {template}"
        node = operation.node
        entries.append(
            (
                "operation",
                operation.operation_id or detail,
                detail,
                _text(node.get("summary"), node.get("description")),
                anchor,
            )
        )
    for item in contract.paths:
        about = _text(item.node.get("summary"), item.node.get("description"))
        if about:
            entries.append(("path", item.template, "", about, first_anchor.get(item.template, "")))
    owners = _schema_owners(contract)
    for name, schema in contract.components("schemas").items():
        owner = owners.get(f"schemas/{name}")
        detail = f"used by {owner.operation_id or owner.method.upper()}" if owner else ""
        about = (
            _text(schema.get("title"), schema.get("description"))
            if isinstance(schema, dict)
            else ""
        )
        entries.append(
            ("schema", str(name), detail, about, operation_anchor(owner) if owner else "")
        )
    return entries


class SearchIndex:
    """Entries of every version, merged; versions are added newest first."""

    def __init__(self) -> None:
        self._versions: dict[Entry, list[int]] = {}

    def add(self, version: int, entries: list[Entry]) -> None:
        for entry in entries:
            found = self._versions.setdefault(entry, [])
            if not found or found[-1] != version:
                found.append(version)

    def entries(self) -> list[list[object]]:
        ordered = sorted(self._versions.items(), key=lambda item: item[1][0])
        return [[*entry, versions] for entry, versions in ordered]


def _text(*parts: object) -> str:
    joined = " — ".join(
        " ".join(part.split()) for part in parts if isinstance(part, str) and part.strip()
    )
    if len(joined) <= _TEXT_LIMIT:
        return joined
    return joined[: _TEXT_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def _component(pointer_or_ref: str) -> str | None:
    """`schemas/Order` for `#/components/schemas/Order/...` or `/components/schemas/Order/...`."""
    parts = pointer_or_ref.lstrip("#").split("/", 4)
    if len(parts) < 4 or parts[1] != "components":
        return None
    return f"{parts[2]}/{_unescape(parts[3])}"


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _schema_owners(contract: Contract) -> dict[str, Operation]:
    """Each component → the first operation (in document order) that uses it, through refs."""
    inside: dict[str, set[str]] = {}
    """Component → the components it refers to."""
    by_operation: dict[tuple[str, str], set[str]] = {}
    """(path template, method or "" for the path item) → components referred to."""
    for site in contract.references.sites.values():
        ref = site.target
        target = _component(ref) if site.file_key == "" and ref and ref.startswith("#") else None
        if target is None:
            continue
        pointer = site.pointer
        parts = pointer.split("/", 4)
        if len(parts) >= 3 and parts[1] == "components":
            owner = _component(pointer)
            if owner is not None:
                inside.setdefault(owner, set()).add(target)
        elif len(parts) >= 3 and parts[1] == "paths":
            template = _unescape(parts[2])
            method = parts[3] if len(parts) > 3 else ""
            by_operation.setdefault((template, method), set()).add(target)
    owners: dict[str, Operation] = {}
    for operation in contract.operations:
        template = operation.path.template
        stack = [
            *by_operation.get((template, operation.method), ()),
            *by_operation.get((template, "parameters"), ()),
        ]
        while stack:
            component = stack.pop()
            if component in owners:
                # Owned by an earlier operation, whose walk already reached all it uses.
                continue
            owners[component] = operation
            stack.extend(inside.get(component, ()))
    return owners
