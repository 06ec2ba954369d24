"""Comparing consecutive versions for the changelog: `shopgen diff`, minus what cannot differ.

Between two releases most path items are untouched. A path item that is equal in both versions,
and whose references lead only to components that are equal in both (all the way down), yields
no change, so both sides are compared without it. On GitHub's REST description that is more than
half of the paths between two major releases, and most of the diff's time.

Comparing two large versions takes as long as loading one, so on Linux with a spare CPU each
comparison runs in a forked process, which sees both loaded versions without copying them, while
the next version loads; small contracts are compared in place, where a fork would cost more.

Outside the operations the diff reads the document's `security` and its security schemes (by
name, not by `$ref`); when either differs, nothing is left out. The pruned contracts share the
loaded ones' text and references, so every pointer and line a change names is the same as in a
comparison of the whole documents (a test checks the reports are equal on the diff's cases).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from shopgen.forking import Forked, can_fork, cpus

if TYPE_CHECKING:
    from shopgen.contract import Contract
    from shopgen.diff import DiffReport

__all__ = ["Comparisons", "compare_versions"]

_FORK_ABOVE = 1024 * 1024
"""Contracts with less text than this (both together) are compared in place."""


class Comparisons:
    """`compare_versions` for many pairs, each in a forked process where that pays off.

    Use it as a context manager: leaving it early (an error elsewhere in the build) stops the
    comparisons still running.
    """

    def __init__(self, *, parallel: bool | None = None, fork_above: int = _FORK_ABOVE) -> None:
        self._parallel = can_fork() if parallel is None else parallel
        self._fork_above = fork_above
        self._slots = max(1, cpus() - 1)
        self._running: list[tuple[int, Forked[DiffReport], Contract, Contract]] = []
        self._reports: dict[int, DiffReport] = {}

    def start(self, key: int, old: Contract, new: Contract) -> None:
        """Compare `old` with `new`; the report is `results()[key]`."""
        if not self._parallel or len(old.text) + len(new.text) < self._fork_above:
            self._reports[key] = compare_versions(old, new)
            return
        while len(self._running) >= self._slots:
            self._finish(self._running.pop(0))
        forked = Forked.start(lambda: compare_versions(old, new))
        self._running.append((key, forked, old, new))

    def __enter__(self) -> Comparisons:
        return self

    def __exit__(self, *exc: object) -> None:
        for _, forked, _, _ in self._running:
            forked.stop()
        self._running.clear()

    def results(self) -> dict[int, DiffReport]:
        while self._running:
            self._finish(self._running.pop(0))
        return self._reports

    def _finish(self, job: tuple[int, Forked[DiffReport], Contract, Contract]) -> None:
        key, forked, old, new = job
        # None: the process failed; compare here, where any error surfaces.
        report = forked.result()
        self._reports[key] = report if report is not None else compare_versions(old, new)


def compare_versions(old: Contract, new: Contract) -> DiffReport:
    """`shopgen.diff.compare_contracts(old, new)`, leaving out path items that cannot differ."""
    from shopgen import diff

    stable = _stable_paths(old, new)
    if stable:
        old, new = _without(old, stable), _without(new, stable)
    return diff.compare_contracts(old, new)


def _without(contract: Contract, templates: set[str]) -> Contract:
    from shopgen.contract import Contract

    document = contract.document
    paths = {key: item for key, item in document["paths"].items() if key not in templates}
    source = dataclasses.replace(contract.source, document={**document, "paths": paths})
    return Contract(source, contract.references)


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except RecursionError:  # a document that contains itself through a YAML alias
        return False


def _stable_paths(old: Contract, new: Contract) -> set[str]:
    """Templates of the path items both versions have, equal, reaching only equal components."""
    old_doc, new_doc = old.document, new.document
    old_paths, new_paths = old_doc.get("paths"), new_doc.get("paths")
    if not isinstance(old_paths, dict) or not isinstance(new_paths, dict):
        return set()
    if old.references.files or new.references.files:
        return set()  # refs into other files: the documents alone do not show what they reach
    if not _equal(old_doc.get("security"), new_doc.get("security")) or not _equal(
        old.components("securitySchemes"), new.components("securitySchemes")
    ):
        return set()
    candidates = {
        template
        for template, item in old_paths.items()
        if template in new_paths and _equal(item, new_paths[template])
    }
    if not candidates:
        return set()

    # What each component and each candidate path item refers to (every reference is in the
    # contract's own file, checked above); equal nodes refer to the same, so the old version's
    # references are those of both.
    refers: dict[str, set[str]] = {}
    path_refs: dict[str, set[str]] = {}
    for site in old.references.sites.values():
        target = site.target or ""  # refused or dangling: no component, so never stable
        parts = site.pointer.split("/", 4)
        if len(parts) >= 4 and parts[1] == "components":
            refers.setdefault(_component_key(parts), set()).add(_target_key(target))
        elif len(parts) >= 3 and parts[1] == "paths":
            template = _unescape(parts[2])
            if template in candidates:
                path_refs.setdefault(template, set()).add(_target_key(target))

    old_components, new_components = old_doc.get("components"), new_doc.get("components")
    stable: set[str] = set()
    if isinstance(old_components, dict) and isinstance(new_components, dict):
        for kind, entries in old_components.items():
            others = new_components.get(kind)
            if not isinstance(entries, dict) or not isinstance(others, dict):
                continue
            for name, node in entries.items():
                if name in others and _equal(node, others[name]):
                    stable.add(f"{kind}/{name}")
    # A component is stable only if everything it refers to is: take away, until nothing
    # changes, each one that refers to something unstable (or to no component at all).
    referrers: dict[str, set[str]] = {}
    for source, targets in refers.items():
        for target in targets:
            referrers.setdefault(target, set()).add(source)
    pending = [target for target in referrers if target not in stable]
    while pending:
        for source in referrers.get(pending.pop(), ()):
            if source in stable:
                stable.discard(source)
                pending.append(source)
    return {template for template in candidates if path_refs.get(template, set()) <= stable}


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _component_key(parts: list[str]) -> str:
    return f"{_unescape(parts[2])}/{_unescape(parts[3])}"


def _target_key(ref: str) -> str:
    """`schemas/Order` for `#/components/schemas/Order`; the ref itself for anything else."""
    if ref.startswith("#/components/"):
        parts = ref[1:].split("/", 4)
        if len(parts) >= 4:
            return _component_key(parts)
    return "ref " + ref
