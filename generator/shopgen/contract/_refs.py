"""`$ref` resolution that reads only what it may: this document and files beside it.

A contract is untrusted input. A `$ref` to `http://…` would make lint fetch from the network, and
`../../etc/passwd` would read outside the project, so both are refused (as a `RefProblem`), never
followed. Files that may be read are loaded once, and their own references are rewritten to be
relative to the contract's directory, so that resolving a reference never needs to know which
file it was written in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from shopgen.errors import UserError

from ._pointer import join_pointer, split_pointer
from ._source import Source, read_source

__all__ = ["RefProblem", "References"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
REFUSED = "#/x-shopgen-refused"
"""What a refused or dangling `$ref` is rewritten to, so that no consumer follows it."""
_MAX_FILES = 200


@dataclass(frozen=True)
class RefProblem:
    """A `$ref` that is refused or points at nothing, and where it is written."""

    file: Path
    pointer: str
    message: str


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
        self._load(main, "")

    def _load(self, source: Source, key: str) -> None:
        pending: list[tuple[Source, str]] = [(source, key)]
        while pending:
            current, current_key = pending.pop()
            for holder, pointer in current.index.ref_holders:
                ref = holder["$ref"]
                target = self._normalise(ref, current_key, current, pointer)
                if target is None:
                    holder["$ref"] = REFUSED
                    continue
                file_key, fragment = target
                holder["$ref"] = f"{file_key}#{fragment}" if file_key else f"#{fragment}"
                if file_key and file_key not in self.files:
                    loaded = self._read(file_key, current, pointer)
                    if loaded is None:
                        holder["$ref"] = REFUSED
                        continue
                    self.files[file_key] = loaded
                    pending.append((loaded, file_key))
                self.targets.add((file_key, fragment))

    def _normalise(
        self, ref: Any, current_key: str, current: Source, pointer: str
    ) -> tuple[str, str] | None:
        where = join_pointer([*split_pointer(pointer), "$ref"])
        if not isinstance(ref, str):
            self._refuse(current, where, f"$ref `{ref!r}` is not a string")
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
            return read_source(path)
        except UserError as error:
            self._refuse(current, where, f"$ref `{key}` cannot be loaded: {error}")
            return None

    def _refuse(self, source: Source, pointer: str, message: str) -> None:
        self.problems.append(RefProblem(source.path, pointer, message))

    def document(self, key: str) -> Any:
        return self.main.document if not key else self.files[key].document

    def source(self, key: str) -> Source:
        return self.main if not key else self.files[key]

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
        for source in [self.main, *self.files.values()]:
            for holder, pointer in source.index.ref_holders:
                ref = holder["$ref"]
                if ref == REFUSED:
                    continue
                where = join_pointer([*split_pointer(pointer), "$ref"])
                if self.lookup(ref) is None:
                    shown = ref[1:] if ref.startswith("#") else ref
                    self._refuse(source, where, f"$ref `{shown}` points at nothing")
                    holder["$ref"] = REFUSED
                elif (cycle := self._pure_cycle(ref)) is not None:
                    chain = " → ".join(cycle)
                    self._refuse(source, where, f"$ref `{ref}` only refers back to itself: {chain}")
                    holder["$ref"] = REFUSED

    def _pure_cycle(self, ref: str) -> list[str] | None:
        """The chain if following `ref` meets only `$ref`s until it repeats (an empty loop)."""
        chain: list[str] = []
        while ref not in chain:
            chain.append(ref)
            found = self.lookup(ref)
            if found is None:
                return None
            node = found[0]
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return None
            ref = node["$ref"]
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
