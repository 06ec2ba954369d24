"""PyYAML, set up for contracts: YAML 1.2 core scalars, no duplicate keys, bounded aliases.

PyYAML speaks YAML 1.1, where `yes`, `on` and `2024-01-01` are not strings. OpenAPI documents
are YAML 1.2 (and JSON), so the resolvers here follow the 1.2 core schema: only `true`/`false`
are booleans and dates stay strings, as every JSON-based tool will read them.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = [
    "ContractLoader",
    "DuplicateKeyError",
    "RecursiveAlias",
    "compose_marks",
    "expanded_size",
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
    """
    root = yaml.compose(text, Loader=_BaseLoader)
    found: dict[tuple[str, ...], yaml.Mark] = {}
    if root is None:
        return found
    prefixes = {path[:i] for path in wanted for i in range(len(path) + 1)}
    stack: list[tuple[yaml.Node, tuple[str, ...], yaml.Mark]] = [(root, (), root.start_mark)]
    while stack:
        node, path, mark = stack.pop()
        if path in wanted:
            found[path] = mark
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = (*path, str(key_node.value))
                if child in prefixes:
                    stack.append((value_node, child, key_node.start_mark))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, str(index))
                if child in prefixes:
                    stack.append((item, child, item.start_mark))
    return found
