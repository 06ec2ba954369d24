"""PyYAML, set up for contracts: YAML 1.2 core scalars, no duplicate keys, bounded aliases.

PyYAML speaks YAML 1.1, where `yes`, `on` and `2024-01-01` are not strings. OpenAPI documents
are YAML 1.2 (and JSON), so the resolvers here follow the 1.2 core schema: only `true`/`false`
are booleans and dates stay strings, as every JSON-based tool will read them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

__all__ = [
    "ContractLoader",
    "DuplicateKeyError",
    "RecursiveAlias",
    "compose_marks",
    "expanded_size",
    "yaml_positions",
]

try:  # the C implementation is ten times faster; the pure one is the same grammar
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader


class RecursiveAlias(ValueError):
    """An alias inside the node it names: a document that never ends when walked."""

    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__("recursive alias")
        self.mark = mark


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping names the same key twice; YAML parsers silently keep the last one."""


_CORE_RESOLVERS: list[tuple[str, re.Pattern[str], str]] = [
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        "-+0123456789",
    ),
    (
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        "-+.0123456789",
    ),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), "~nN"),
]


class ContractLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader with YAML 1.2 core scalars and duplicate-key detection."""

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found a mapping key that is not a scalar",
                    key_node.start_mark,
                ) from None
            if key in seen:
                raise DuplicateKeyError(None, None, f"duplicate key `{key}`", key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = str(node.value)
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        return float(str(node.value).lower().replace(".inf", "inf").replace(".nan", "nan"))


for _tag, _regexp, _first in _CORE_RESOLVERS:
    ContractLoader.add_implicit_resolver(_tag, _regexp, list(_first))
ContractLoader.add_constructor("tag:yaml.org,2002:int", ContractLoader.construct_yaml_int)
ContractLoader.add_constructor("tag:yaml.org,2002:float", ContractLoader.construct_yaml_float)
# Timestamps are strings in YAML 1.2; an explicit !!timestamp tag keeps its text too.
ContractLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def expanded_size(root: yaml.Node) -> int:
    """Count the nodes that aliases repeat when the document is walked.

    Aliases share one node object, so an alias bomb is small in memory and explodes only
    when walked; this counts the walk without doing it (each node's size is memoised), then
    subtracts the nodes written once.
    """
    sizes: dict[int, int] = {}
    walking: set[int] = set()  # the nodes whose children are being counted: the current path
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if not children_done and id(node) in walking:
            raise RecursiveAlias(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children: list[yaml.Node]
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = list(node.value)
        if children_done:
            walking.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            continue
        walking.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return max(0, sizes[id(root)] - len(sizes))


def compose_marks(text: str, wanted: set[tuple[str, ...]]) -> dict[tuple[str, ...], yaml.Mark]:
    """Find the start mark of each wanted path (keys and list indexes as strings).

    For a mapping entry the mark is its key's, which is where an editor should put the cursor.
    Walks the parser's events rather than composing nodes: on a 10 MB document the events take
    a tenth of the time nodes do, and only the wanted branches are followed.
    """
    found: dict[tuple[str, ...], yaml.Mark] = {}
    prefixes = {path[:i] for path in wanted for i in range(len(path) + 1)}
    # One frame per open collection: [path or None when not followed, is_mapping,
    # expecting_key, key, key_mark, index]
    stack: list[list[Any]] = []
    event: Any
    for event in yaml.parse(text, Loader=_EventLoader):
        kind = type(event)
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            stack.pop()
            continue
        if kind not in _NODE_EVENTS:
            continue
        path: tuple[str, ...] | None
        mark: Any
        if not stack:
            path, mark = (), event.start_mark
        else:
            frame = stack[-1]
            if frame[1]:
                if frame[2]:  # a key
                    frame[2] = False
                    frame[3] = event.value if kind is yaml.ScalarEvent else None
                    frame[4] = event.start_mark
                    if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                        stack.append([None, kind is yaml.MappingStartEvent, True, None, None, 0])
                    continue
                frame[2] = True
                parent, key = frame[0], frame[3]
                path = None if parent is None or key is None else (*parent, key)
                mark = frame[4]
            else:
                parent = frame[0]
                path = None if parent is None else (*parent, str(frame[5]))
                frame[5] += 1
                mark = event.start_mark
        if path is not None and path not in prefixes:
            path = None
        if path is not None and path in wanted:
            found[path] = mark
        if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            stack.append([path, kind is yaml.MappingStartEvent, True, None, None, 0])
    return found


_NODE_EVENTS = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.AliasEvent)
try:
    _EventLoader: type[yaml.BaseLoader] = yaml.CBaseLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _EventLoader = yaml.BaseLoader


Position = tuple[int, int]

_SPLIT_ABOVE = 1024 * 1024
"""YAML texts with more characters than this are read in two processes, where allowed."""


def yaml_positions(
    text: str, wanted: set[tuple[str, ...]], document: object, *, parallel: bool = False
) -> dict[tuple[str, ...], Position]:
    """The 1-based (line, column) of each wanted path that exists (see `compose_marks`).

    With `parallel`, a large block-style document is cut at its top-level keys and the
    biggest part is read in a forked process while the rest is read here: GitHub's REST
    description keeps its `components` and its `paths` apart, each a third of the time of
    the whole. Anything unusual (a key not at the start of its line, an alias to another
    part, a part that does not read back as its one key) falls back to one pass.
    """
    from shopgen.forking import Forked, can_fork

    parts = None
    if parallel and len(text) > _SPLIT_ABOVE and isinstance(document, Mapping) and can_fork():
        parts = _top_level_parts(text, list(document))
    if parts is None:
        return _positions(compose_marks(text, wanted))
    biggest = max(parts, key=lambda part: part[2] - part[1])
    mine = [part for part in parts if part is not biggest]
    forked = Forked.start(lambda: _read_parts(text, [biggest], wanted))
    here = _read_parts(text, mine, wanted)
    there = forked.result()
    if here is None or there is None:
        return _positions(compose_marks(text, wanted))
    found = {**here, **there}
    if () in wanted:
        found[()] = (1, 1)
    return found


def _positions(marks: dict[tuple[str, ...], yaml.Mark]) -> dict[tuple[str, ...], Position]:
    return {path: (mark.line + 1, mark.column + 1) for path, mark in marks.items()}


def _top_level_parts(text: str, keys: list[object]) -> list[tuple[str, int, int]] | None:
    """`(key, start, end)` of each top-level entry, when the text writes each as `key:` at the
    start of a line, in the document's order, beginning at the first character."""
    starts: list[tuple[str, int]] = []
    for key in keys:
        if not isinstance(key, str) or not key or key[0] in "\"'{[&*!|>%@`#-? ":
            return None
        if not starts:
            at = 0 if text.startswith(key + ":") else -1
        else:
            found = text.find("\n" + key + ":", starts[-1][1])
            at = found + 1 if found >= 0 else -1
        if at < 0 or text[at + len(key) + 1 : at + len(key) + 2] not in (" ", "\n", "\r", ""):
            return None
        starts.append((key, at))
    if len(starts) < 2:
        return None
    ends = [start for _, start in starts[1:]] + [len(text)]
    return [(key, start, end) for (key, start), end in zip(starts, ends, strict=True)]


def _read_parts(
    text: str, parts: list[tuple[str, int, int]], wanted: set[tuple[str, ...]]
) -> dict[tuple[str, ...], Position] | None:
    """Positions in each part read as a document of its own, or None if one does not read
    as beginning with its key (the cut was not where the document's entries begin)."""
    found: dict[tuple[str, ...], Position] = {}
    for key, start, end in parts:
        line = text.count("\n", 0, start)
        inside = {path for path in wanted if path[:1] == (key,)} | {(key,)}
        try:
            marks = compose_marks(text[start:end], inside)
        except yaml.YAMLError:
            return None
        head = marks.get((key,))
        if head is None or (head.line, head.column) != (0, 0):
            return None
        for path, mark in marks.items():
            if path in wanted:
                found[path] = (mark.line + line + 1, mark.column + 1)
    return found
