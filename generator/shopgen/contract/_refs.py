"""`$ref` resolution that reads only what it may: this document and files beside it.

A contract is untrusted input. A `$ref` to `http://…` would make lint fetch from the network, and
`../../etc/passwd` would read outside the project, so both are refused (as a `RefProblem`), never
followed. Files that may be read are loaded once.

The documents are never changed: every reference is recorded as a `RefSite` beside them, with
its target normalised to `file#fragment` relative to the contract's directory (so resolving it
never needs to know which file it was written in), or `None` when it is refused or dangles.
Only the references the grammar recognises (`_grammar`) are sites; a `$ref` key anywhere else
is a name or data and stays what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from shopgen.errors import UserError

from ._grammar import grammar_for, kind_at
from ._index import RefHolder, find_ref_holders
from ._pointer import join_pointer, split_pointer
from ._show import json_text
from ._source import Source, read_source

__all__ = ["RefProblem", "RefSite", "References"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_MAX_FILES = 200


@dataclass(frozen=True)
class RefProblem:
    """A `$ref` that is refused or points at nothing, and where it is written."""

    file: Path
    pointer: str
    message: str


@dataclass
class RefSite:
    """One reference: the node holding it, where it is written, and what it resolves to."""

    file_key: str
    """The file it is written in (`""` for the contract itself)."""
    node: dict[str, Any]
    pointer: str
    kind: str
    target: str | None
    """`file#fragment` relative to the contract's directory (`#fragment` in the contract);
    None when the reference is refused or points at nothing."""

    @property
    def written(self) -> Any:
        """The `$ref` value as the author wrote it."""
        return self.node.get("$ref")


class References:
    """Every `$ref` of a contract, its referenced files, and the resolver over them."""

    def __init__(self, main: Source) -> None:
        self.main = main
        self.root_dir = main.path.resolve().parent
        self.files: dict[str, Source] = {}
        """Referenced files by their POSIX path relative to the contract's directory."""
        self.problems: list[RefProblem] = []
        self.targets: set[tuple[str, str]] = set()
        """(file key, pointer) of every reference target; the main file's key is ``""``."""
        self.sites: dict[int, RefSite] = {}
        """Every recognised reference, by the `id` of the node that holds it."""
        self._walked: set[tuple[str, str, str]] = set()
        self._load()

    # -- finding and normalising references ------------------------------------------------

    def _load(self) -> None:
        pending: list[tuple[str, RefHolder]] = [("", h) for h in self.main.index.ref_holders]
        while pending:
            key, holder = pending.pop()
            if id(holder.node) in self.sites:
                continue
            current = self.source(key)
            site = RefSite(key, holder.node, holder.pointer, holder.kind, None)
            self.sites[id(holder.node)] = site
            target = self._normalise(holder.node["$ref"], key, current, holder.pointer)
            if target is None:
                continue
            file_key, fragment = target
            if file_key and file_key not in self.files:
                loaded = self._read(file_key, current, holder.pointer)
                if loaded is None:
                    continue
                self.files[file_key] = loaded
            site.target = f"{file_key}#{fragment}" if file_key else f"#{fragment}"
            self.targets.add((file_key, fragment))
            pending += [(file_key, h) for h in self._holders_in_target(file_key, fragment, holder)]

    def _holders_in_target(
        self, file_key: str, fragment: str, holder: RefHolder
    ) -> list[RefHolder]:
        """The references inside a target, read as what the reference stands for.

        The contract's own OpenAPI structure is indexed already; a target elsewhere (another
        file, or an extension of this one) is walked here, once per kind.
        """
        if (file_key, fragment, holder.kind) in self._walked:
            return []
        self._walked.add((file_key, fragment, holder.kind))
        found = self.lookup(f"{file_key}#{fragment}")
        if found is None:
            return []
        document = self.document(file_key)
        try:
            parts = split_pointer(fragment)
        except ValueError:
            return []
        if not file_key and kind_at(grammar_for(document), document, parts) == holder.kind:
            return []
        return find_ref_holders(document, found[0], fragment, holder.kind)

    def _normalise(
        self, ref: Any, current_key: str, current: Source, pointer: str
    ) -> tuple[str, str] | None:
        where = join_pointer([*split_pointer(pointer), "$ref"])
        if not isinstance(ref, str):
            self._refuse(current, where, f"$ref `{json_text(ref)}` is not a string")
            return None
        if _SCHEME.match(ref):
            self._refuse(current, where, f"$ref `{ref}` is remote; only local refs load")
            return None
        file_part, _, fragment = ref.partition("#")
        fragment = unquote(fragment)
        if fragment and not fragment.startswith("/"):
            self._refuse(
                current, where, f"$ref `{ref}` has fragment `#{fragment}`; use a JSON pointer"
            )
            return None
        if not file_part:
            return current_key, fragment
        base = PurePosixPath(current_key).parent if current_key else PurePosixPath()
        joined = _normpath(base / unquote(file_part))
        if joined is None or PurePosixPath(file_part).is_absolute():
            self._refuse(
                current,
                where,
                f"$ref `{ref}` leaves the contract's directory; only files beside it load",
            )
            return None
        key = str(joined)
        if key == self._main_key:
            key = ""
        return key, fragment

    @property
    def _main_key(self) -> str:
        return self.main.path.name

    def _read(self, key: str, current: Source, pointer: str) -> Source | None:
        where = join_pointer([*split_pointer(pointer), "$ref"])
        path = (self.root_dir / key).resolve()
        if not path.is_relative_to(self.root_dir):
            self._refuse(current, where, f"$ref `{key}` leads outside the contract's directory")
            return None
        if len(self.files) >= _MAX_FILES:
            self._refuse(current, where, f"more than {_MAX_FILES} referenced files")
            return None
        try:
            return read_source(path, root=False)
        except UserError as error:
            self._refuse(current, where, f"$ref `{key}` cannot be loaded: {error}")
            return None

    def _refuse(self, source: Source, pointer: str, message: str) -> None:
        self.problems.append(RefProblem(source.path, pointer, message))

    # -- reading -----------------------------------------------------------------------------

    def document(self, key: str) -> Any:
        return self.main.document if not key else self.files[key].document

    def source(self, key: str) -> Source:
        return self.main if not key else self.files[key]

    def site(self, node: Any) -> RefSite | None:
        """The reference `node` holds, if the grammar makes its `$ref` one."""
        return self.sites.get(id(node)) if isinstance(node, dict) else None

    def lookup(self, ref: str) -> tuple[Any, str, str] | None:
        """The node a normalised ref points at, with its file key and pointer; None if absent."""
        key, _, fragment = ref.partition("#")
        if key and key not in self.files:
            return None
        node = self.document(key)
        try:
            parts = split_pointer(fragment)
        except ValueError:
            return None
        for part in parts:
            if isinstance(node, dict):
                if part not in node:
                    return None
                node = node[part]
            elif isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    return None
                node = node[int(part)]
            else:
                return None
        return node, key, fragment

    def check_targets(self) -> None:
        """Record a problem for every reference that points at nothing or only at itself."""
        for site in self.sites.values():
            if site.target is None:
                continue
            source = self.source(site.file_key)
            where = join_pointer([*split_pointer(site.pointer), "$ref"])
            if self.lookup(site.target) is None:
                ref = site.target
                shown = ref[1:] if ref.startswith("#") else ref
                self._refuse(source, where, f"$ref `{shown}` points at nothing")
                site.target = None
            elif (cycle := self._pure_cycle(site.target)) is not None:
                chain = " → ".join(cycle)
                self._refuse(
                    source, where, f"$ref `{site.target}` only refers back to itself: {chain}"
                )
                site.target = None

    def _pure_cycle(self, ref: str) -> list[str] | None:
        """The chain if following `ref` meets only references until it repeats (an empty loop)."""
        chain: list[str] = []
        while ref not in chain:
            chain.append(ref)
            found = self.lookup(ref)
            if found is None:
                return None
            site = self.site(found[0])
            if site is None or site.target is None:
                return None
            ref = site.target
        return [*chain, ref]


def _normpath(path: PurePosixPath) -> PurePosixPath | None:
    parts: list[str] = []
    for part in path.parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return PurePosixPath(*parts) if parts else None
