"""Reading a contract file: bytes → text → document, with limits and positions.

Parsing is the floor of every command on a big contract, so the document is parsed once with the
fastest parser at hand and positions are found afterwards, only for the JSON pointers that a
finding or an error needs (`Source.locate`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from shopgen.errors import UserError

from ._index import DocumentIndex, TooDeep, index_document
from ._pointer import split_pointer

__all__ = ["MAX_ALIAS_NODES", "MAX_BYTES", "MAX_DEPTH", "Source", "read_source"]

MAX_BYTES = 64 * 1024 * 1024
"""Larger than any real contract (GitHub's whole REST description is 13 MB of JSON)."""
MAX_DEPTH = 256
"""Nesting deeper than this is an attack or a generator bug, never a contract."""
MAX_ALIAS_NODES = 1_000_000
"""Nodes that aliases may repeat; an alias bomb passes any byte limit and explodes here."""

Format = Literal["json", "yaml"]
Position = tuple[int, int]


@dataclass
class Source:
    """One parsed contract file and the means to find a pointer's line and column in it."""

    path: Path
    text: str
    format: Format
    document: Any
    sha256: str
    index: DocumentIndex = field(repr=False)
    _positions: dict[str, Position] = field(default_factory=dict, repr=False)

    def locate(self, pointer: str) -> Position:
        """The 1-based (line, column) of the node at `pointer`, or of its nearest ancestor."""
        return self.locate_many([pointer])[pointer]

    def locate_many(
        self, pointers: Iterable[str], *, parallel: bool = False
    ) -> dict[str, Position]:
        """Positions of many pointers at once: one pass over the text, however many.

        `parallel` lets a large YAML text be read in two processes (see `shopgen.forking`)."""
        wanted = {p for p in pointers if p not in self._positions}
        if wanted:
            paths = {p: tuple(split_pointer(p)) for p in wanted}
            # Ask for every ancestor too, so a pointer into a $ref target or past the end of the
            # document falls back to the deepest node that exists.
            every = {path[:i] for path in paths.values() for i in range(len(path) + 1)}
            marks = self._find(every, parallel=parallel)
            for pointer, path in paths.items():
                for depth in range(len(path), -1, -1):
                    if path[:depth] in marks:
                        self._positions[pointer] = marks[path[:depth]]
                        break
                else:
                    self._positions[pointer] = (1, 1)
        return {p: self._positions[p] for p in pointers}

    def _find(
        self, paths: set[tuple[str, ...]], *, parallel: bool
    ) -> dict[tuple[str, ...], Position]:
        if self.format == "json":
            from ._json_positions import json_positions

            return json_positions(self.text, paths)
        from ._yaml import yaml_positions

        return yaml_positions(self.text, paths, self.document, parallel=parallel)


def read_source(path: Path, *, max_bytes: int = MAX_BYTES, root: bool = True) -> Source:
    """Read and parse a contract file; every failure is a `UserError` naming file:line:col.

    `root=False` reads a file that a contract references: a fragment, not an OpenAPI document.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UserError("no such file", path=path) from None
    except OSError as error:
        raise UserError(f"cannot read: {error.strerror}", path=path) from None
    if path.is_dir():
        raise UserError("is a directory, not a contract file", path=path)
    if size > max_bytes:
        raise UserError(
            f"file is {size / 1048576:.1f} MiB; contracts are limited to "
            f"{max_bytes / 1048576:.0f} MiB",
            path=path,
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read: {error.strerror}", path=path) from None
    return parse_source(path, data, root=root)


def parse_source(path: Path, data: bytes, *, root: bool = True) -> Source:
    """Parse contract bytes already read from `path`."""
    if not data.strip():
        raise UserError("file is empty; expected an OpenAPI document", path=path, line=1, column=1)
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line, column = _offset_position(data, offset)
        raise UserError(
            "file contains a NUL byte; expected a YAML or JSON text file",
            path=path,
            line=line,
            column=column,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, column = _offset_position(data, error.start)
        raise UserError(
            f"not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded",
            path=path,
            line=line,
            column=column,
        ) from None
    sha256 = hashlib.sha256(data).hexdigest()
    fmt: Format = "json" if text.lstrip()[:1] in ("{", "[") else "yaml"
    document = _parse_json(path, text) if fmt == "json" else _parse_yaml(path, text)
    if not isinstance(document, dict):
        kind = "a list" if isinstance(document, list) else f"a {type(document).__name__}"
        raise UserError(
            f"top level is {kind}; an OpenAPI document is a mapping", path=path, line=1, column=1
        )
    try:
        # Only PyYAML shares a node between the places its aliases name.
        shared = fmt == "yaml" and "&" in text
        index = index_document(document, MAX_DEPTH, root=root, shared=shared)
    except TooDeep:
        raise UserError(
            f"nesting is deeper than {MAX_DEPTH} levels", path=path, line=1, column=1
        ) from None
    return Source(path=path, text=text, format=fmt, document=document, sha256=sha256, index=index)


def _offset_position(data: bytes, offset: int) -> Position:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateJsonKey(key)
            seen.add(key)
    return mapping


class _DuplicateJsonKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _parse_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as error:
        raise UserError(
            f"invalid JSON: {error.msg}", path=path, line=error.lineno, column=error.colno
        ) from None
    except _DuplicateJsonKey as error:
        line, column = _first_duplicate_json_key(text, error.key)
        raise UserError(
            f"duplicate key `{error.key}`; JSON parsers keep only the last one",
            path=path,
            line=line,
            column=column,
        ) from None
    except RecursionError:
        raise UserError(
            f"nesting is deeper than {MAX_DEPTH} levels", path=path, line=1, column=1
        ) from None


def _first_duplicate_json_key(text: str, key: str) -> Position:
    """Where the second occurrence of a key string stands (good enough to point the user)."""
    needle = json.dumps(key)
    hits = [m.start() for m in re.finditer(re.escape(needle) + r"\s*:", text)]
    offset = hits[1] if len(hits) > 1 else (hits[0] if hits else 0)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# Anchors and aliases as YAML writes them (after a space, a line break or a flow indicator);
# `*.o` in a description is neither. Searched from the `&` or `*` itself, which the regular
# expression engine finds by fast literal search: on a 10 MB text that is 60 times quicker
# than trying the preceding character at every position.
_ANCHOR = re.compile(r"&([^\s,\[\]{}]+)")
_ALIAS = re.compile(r"\*([^\s,\[\]{}*]+)")
_BEFORE_NAME = frozenset("[{,:-")


def _names(pattern: re.Pattern[str], text: str) -> set[str]:
    return {
        found.group(1)
        for found in pattern.finditer(text)
        if found.start() == 0
        or text[found.start() - 1].isspace()
        or text[found.start() - 1] in _BEFORE_NAME
    }


def _parse_yaml(path: Path, text: str) -> Any:
    try:
        import yaml_rs
    except ImportError:
        return _parse_yaml_reference(path, text)
    if "&" in text and "*" in text and _names(_ANCHOR, text) & _names(_ALIAS, text):
        # Aliases go through the reference loader, which bounds them the same way on every
        # machine and refuses recursive ones (the fast parser turns those into null).
        return _parse_yaml_reference(path, text)
    return _parse_yaml_fast(path, text, yaml_rs)


_YAML_RS_POSITION = re.compile(r"at line (\d+), column (\d+)")


def _parse_yaml_fast(path: Path, text: str, yaml_rs: Any) -> Any:
    """yaml-rs: the same YAML 1.2 core schema as the reference loader, 20 times faster."""
    limits = yaml_rs.AliasLimits(
        max_total_replayed_events=MAX_ALIAS_NODES, max_replay_stack_depth=MAX_DEPTH
    )
    try:
        return yaml_rs.loads(text, parse_datetime=False, alias_limits=limits)
    except yaml_rs.YAMLDecodeError as error:
        message = str(error)
        where = _YAML_RS_POSITION.search(message)
        if where is None:
            # Errors without a position (duplicate keys, alias limits): the reference loader
            # knows where they are and words them the same way on both paths.
            return _parse_yaml_reference(path, text)
        reason = message.strip().splitlines()[-1].strip()
        raise UserError(
            f"invalid YAML: {reason}",
            path=path,
            line=int(where.group(1)),
            column=int(where.group(2)),
        ) from None
    except RecursionError:
        raise UserError(
            f"nesting is deeper than {MAX_DEPTH} levels", path=path, line=1, column=1
        ) from None


def _parse_yaml_reference(path: Path, text: str) -> Any:
    from ._yaml import ContractLoader, DuplicateKeyError, RecursiveAlias, expanded_size

    loader = ContractLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise UserError(
                "file has no YAML document; expected an OpenAPI document",
                path=path,
                line=1,
                column=1,
            )
        if expanded_size(node) > MAX_ALIAS_NODES:
            raise UserError(
                f"aliases repeat more than {MAX_ALIAS_NODES:,} nodes (an alias bomb?)",
                path=path,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            )
        return loader.construct_document(node)
    except RecursiveAlias as error:
        raise UserError(
            "recursive alias: the node contains an alias to itself",
            path=path,
            line=error.mark.line + 1,
            column=error.mark.column + 1,
        ) from None
    except DuplicateKeyError as error:
        mark = error.problem_mark
        raise UserError(
            f"{error.problem}; YAML parsers keep only the last one",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(part for part in (error.context, error.problem) if part)
        if "nesting depth" in reason:
            reason = f"nesting is deeper than the parser allows ({reason})"
        raise UserError(
            f"invalid YAML: {reason}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as error:
        raise UserError(f"invalid YAML: {error}", path=path) from None
    except RecursionError:
        raise UserError(
            f"nesting is deeper than {MAX_DEPTH} levels", path=path, line=1, column=1
        ) from None
    finally:
        loader.dispose()
