"""Merging module fragments into a contract, and taking them out again, as text.

The project's contract is the user's file: a module must not reformat it. So a fragment's
entries are cut from the fragment file and pasted, re-indented, at the end of the matching
block (`tags`, `paths`, a path item, `components/<kind>`), and a removed module's entries
(those marked `x-shopgen-module: NAME`) are cut out line by line; comments and formatting
elsewhere stay as they were. Enum values a module adds to a canonical schema
(`x-shopgen-enum-values`, e.g. `OrderSource: [douyin]`) are added to or dropped from that
schema's `enum`; properties it adds to a canonical operation's request body
(`x-shopgen-request-properties`, e.g. `createOrder: {channel_code: ...}`, each marked) are
added to that body's schema, or to the component it refers to, and dropped again.

Every textual merge is checked: the result is parsed and compared with the same merge done
on the parsed document. Where the two could differ (flow-style YAML where an entry goes),
the merge is refused with a message rather than guessed. JSON contracts are merged as data
and written back with their indentation.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shopgen.errors import UserError

__all__ = ["MARKER", "Fragment", "compose_contract", "load_fragment", "module_operations"]

MARKER = "x-shopgen-module"
ENUM_VALUES = "x-shopgen-enum-values"
REQUEST_PROPERTIES = "x-shopgen-request-properties"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# libyaml's loader where PyYAML has it: the same results, faster.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Fragment:
    """A module's part of the contract, as text and as data."""

    module: str
    path: Path
    text: str
    data: Mapping[str, Any]


def load_fragment(module: str, path: Path) -> Fragment:
    text = path.read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_Loader)
    if not isinstance(data, Mapping):
        raise UserError("a module fragment must be a mapping", path=path)
    return Fragment(module, path, text, data)


def module_operations(document: Mapping[str, Any]) -> dict[str, str]:
    """operationId -> module, for the operations a module marks."""
    found: dict[str, str] = {}
    paths = document.get("paths")
    for item in paths.values() if isinstance(paths, Mapping) else ():
        for method in METHODS:
            op = item.get(method) if isinstance(item, Mapping) else None
            if isinstance(op, Mapping) and isinstance(op.get(MARKER), str):
                op_id = op.get("operationId")
                if isinstance(op_id, str):
                    found[op_id] = op[MARKER]
    return found


# -- the merge as data: what the text must parse to ----------------------------------------


def _marked(node: Any, modules: frozenset[str]) -> bool:
    return isinstance(node, Mapping) and node.get(MARKER) in modules


def _is_operation_key(key: str) -> bool:
    return key in METHODS


def _remove_data(
    doc: dict[str, Any], removed: frozenset[str], fragments: Sequence[Fragment]
) -> None:
    tags = doc.get("tags")
    if isinstance(tags, list):
        kept = [tag for tag in tags if not _marked(tag, removed)]
        if kept or not tags:
            doc["tags"] = kept
        else:
            del doc["tags"]  # only the module's tags were there: the key goes too
    paths = doc.get("paths")
    if isinstance(paths, dict):
        for template in list(paths):
            item = paths[template]
            if not isinstance(item, dict):
                continue
            ops = [key for key in item if _is_operation_key(key)]
            gone = [key for key in ops if _marked(item[key], removed)]
            if gone and len(gone) == len(ops):
                del paths[template]
            else:
                for key in gone:
                    del item[key]
    components = doc.get("components")
    if isinstance(components, dict):
        for kind_name, kind in list(components.items()):
            if isinstance(kind, dict):
                gone = [n for n, node in kind.items() if _marked(node, removed)]
                for name in gone:
                    del kind[name]
                if gone and not kind:
                    del components[kind_name]
    for fragment in fragments:
        for schema, values in _enum_values(fragment).items():
            enum = _enum_of(doc, schema)
            if enum is not None:
                enum[:] = [value for value in enum if value not in values]
        for op_id in _request_properties(fragment):
            properties = _body_properties(doc, op_id) or {}
            for name in [n for n, node in properties.items() if _marked(node, removed)]:
                del properties[name]


def _add_data(doc: dict[str, Any], fragment: Fragment) -> None:
    data = fragment.data
    for tag in data.get("tags") or ():
        tags = doc.setdefault("tags", [])
        if isinstance(tags, list) and not any(
            isinstance(t, Mapping) and t.get("name") == tag.get("name") for t in tags
        ):
            tags.append(copy.deepcopy(tag))
    for template, item in (data.get("paths") or {}).items():
        paths = doc.setdefault("paths", {})
        if template not in paths:
            paths[template] = copy.deepcopy(item)
            continue
        for key, op in item.items():
            if _is_operation_key(key) and key not in paths[template]:
                paths[template][key] = copy.deepcopy(op)
    for kind, entries in (data.get("components") or {}).items():
        for name, node in entries.items():
            target = doc.setdefault("components", {}).setdefault(kind, {})
            if name not in target:
                target[name] = copy.deepcopy(node)
    for schema, values in _enum_values(fragment).items():
        enum = _enum_of(doc, schema)
        if enum is not None:
            enum.extend(value for value in values if value not in enum)
    for op_id, added in _request_properties(fragment).items():
        properties = _body_properties(doc, op_id)
        if properties is None:
            continue  # compose_contract refuses this before merging
        for name, node in added.items():
            properties.setdefault(name, copy.deepcopy(node))


def _request_properties(fragment: Fragment) -> Mapping[str, Mapping[str, Any]]:
    found = fragment.data.get(REQUEST_PROPERTIES) or {}
    return found if isinstance(found, Mapping) else {}


def _pointer(doc: Mapping[str, Any], ref: Any) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return None
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _body_properties(doc: Mapping[str, Any], op_id: str) -> dict[str, Any] | None:
    """The `properties` of the JSON request body of operation `op_id`, through `$ref`s."""
    paths = doc.get("paths")
    for item in paths.values() if isinstance(paths, Mapping) else ():
        for method in METHODS:
            op = item.get(method) if isinstance(item, Mapping) else None
            if not isinstance(op, Mapping) or op.get("operationId") != op_id:
                continue
            body = op.get("requestBody")
            body = (
                _pointer(doc, body.get("$ref"))
                if isinstance(body, Mapping) and "$ref" in body
                else body
            )
            content = body.get("content") if isinstance(body, Mapping) else None
            media = content.get("application/json") if isinstance(content, Mapping) else None
            schema = media.get("schema") if isinstance(media, Mapping) else None
            if isinstance(schema, Mapping) and "$ref" in schema:
                schema = _pointer(doc, schema["$ref"])
            properties = schema.get("properties") if isinstance(schema, Mapping) else None
            return properties if isinstance(properties, dict) else None
    return None


def _enum_values(fragment: Fragment) -> Mapping[str, list[Any]]:
    values = fragment.data.get(ENUM_VALUES) or {}
    return values if isinstance(values, Mapping) else {}


def _enum_of(doc: Mapping[str, Any], schema: str) -> list[Any] | None:
    node = ((doc.get("components") or {}).get("schemas") or {}).get(schema)
    enum = node.get("enum") if isinstance(node, Mapping) else None
    return enum if isinstance(enum, list) else None


# -- the merge as text ---------------------------------------------------------------------


class _Unsupported(Exception):
    """The text cannot be edited in place (flow style where an entry goes)."""


@dataclass(slots=True)
class _Edits:
    lines: list[str]
    # (anchor line, order, action): applied from the bottom up; at one anchor, inserts first.
    queued: list[tuple[int, int, Any]] = field(default_factory=list)
    # New top-level keys, after everything else.
    appended: list[str] = field(default_factory=list)

    def delete(self, first: int, last: int) -> None:
        self.queued.append((last, 1, ("delete", first, last)))

    def insert_after(self, line: int, text: list[str]) -> None:
        self.queued.append((line, 0, ("insert", line, text)))

    def replace(self, line: int, start: int, end: int, new: str) -> None:
        self.queued.append((line, 2, ("replace", line, start, end, new)))

    def render(self) -> str:
        lines = list(self.lines)
        # Bottom up; at one line, later inserts go first so that they end up after earlier ones.
        order = sorted(enumerate(self.queued), key=lambda q: (-q[1][0], q[1][1], -q[0]))
        for _, (_, _, action) in order:
            if action[0] == "delete":
                del lines[action[1] : action[2] + 1]
            elif action[0] == "insert":
                lines[action[1] + 1 : action[1] + 1] = action[2]
            else:
                _, line, start, end, new = action
                lines[line] = lines[line][:start] + new + lines[line][end:]
        return "".join(lines + self.appended)


def _compose_nodes(text: str) -> yaml.MappingNode:
    node = yaml.compose(text, Loader=_Loader)
    if not isinstance(node, yaml.MappingNode):
        raise _Unsupported("the document is not a mapping")
    return node


def _get(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            found: yaml.Node = v
            return found
    return None


def _block_mapping(node: yaml.Node | None) -> yaml.MappingNode | None:
    if node is None:
        return None
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        raise _Unsupported("a flow-style mapping")
    return node


def _last_line(node: yaml.Node, lines: list[str]) -> int:
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _last_line(node.value[-1][1], lines)
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _last_line(node.value[-1], lines)
    end = node.end_mark
    line = end.line if end.column > 0 else end.line - 1
    line = max(line, node.start_mark.line)
    while line > node.start_mark.line and not lines[line].strip():
        line -= 1
    return line


def _trim(first: int, last: int, lines: list[str]) -> int:
    """Drop trailing blank and comment lines: they belong to what follows."""
    while last > first and (not lines[last].strip() or lines[last].lstrip().startswith("#")):
        last -= 1
    return last


def _entry_ranges(
    mapping: yaml.MappingNode, lines: list[str]
) -> Iterator[tuple[str, int, int, yaml.Node]]:
    """(key, first line, last line, value) of each entry of a block mapping."""
    pairs = mapping.value
    for index, (key, value) in enumerate(pairs):
        first = key.start_mark.line
        if index + 1 < len(pairs):
            last = _trim(first, pairs[index + 1][0].start_mark.line - 1, lines)
        else:
            last = _last_line(value, lines)
        yield str(key.value), first, last, value


def _item_ranges(
    sequence: yaml.SequenceNode, lines: list[str]
) -> Iterator[tuple[int, int, yaml.Node]]:
    items = sequence.value
    for index, item in enumerate(items):
        first = item.start_mark.line
        if index + 1 < len(items):
            last = _trim(first, items[index + 1].start_mark.line - 1, lines)
        else:
            last = _last_line(item, lines)
        yield first, last, item


def _key_column(mapping: yaml.MappingNode) -> int:
    return int(mapping.value[0][0].start_mark.column)


def _dash_column(sequence: yaml.SequenceNode, lines: list[str]) -> int:
    item: yaml.Node = sequence.value[0]
    return lines[item.start_mark.line].index("-")


def _shift(lines: Sequence[str], delta: int) -> list[str]:
    out = []
    for line in lines:
        if not line.strip():
            out.append(line if line.endswith("\n") else line + "\n")
            continue
        if delta >= 0:
            shifted = " " * delta + line
        else:
            cut = min(-delta, len(line) - len(line.lstrip(" ")))
            shifted = line[cut:]
        out.append(shifted if shifted.endswith("\n") else shifted + "\n")
    return out


def _marker_of(node: yaml.Node) -> str | None:
    marker = _get(node, MARKER)
    return str(marker.value) if isinstance(marker, yaml.ScalarNode) else None


def _scalar_text(value: Any) -> str:
    return str(yaml.safe_dump([value], default_flow_style=True, allow_unicode=True)).strip()[1:-1]


class _TextMerge:
    def __init__(self, text: str) -> None:
        if text and not text.endswith("\n"):
            text += "\n"
        self.lines = text.splitlines(keepends=True)
        self.root = _compose_nodes(text)
        self.edits = _Edits(self.lines)
        paths = _block_mapping(_get(self.root, "paths"))
        self.unit = _key_column(paths) if paths is not None and paths.value else 2

    # removal

    def remove(self, removed: frozenset[str], fragments: Sequence[Fragment]) -> None:
        lines = self.lines
        roots = {key: (first, last) for key, first, last, _ in _entry_ranges(self.root, lines)}
        tags = _get(self.root, "tags")
        if isinstance(tags, yaml.SequenceNode) and not tags.flow_style:
            items = list(_item_ranges(tags, lines))
            doomed = [(first, last) for first, last, item in items if _marker_of(item) in removed]
            if doomed and len(doomed) == len(items):
                self.edits.delete(*roots["tags"])
            else:
                for first, last in doomed:
                    self.edits.delete(first, last)
        paths = _block_mapping(_get(self.root, "paths"))
        for _, first, last, item in _entry_ranges(paths, lines) if paths is not None else ():
            if not isinstance(item, yaml.MappingNode) or item.flow_style:
                continue
            ops = [e for e in _entry_ranges(item, lines) if _is_operation_key(e[0])]
            gone = [e for e in ops if _marker_of(e[3]) in removed]
            if gone and len(gone) == len(ops):
                self.edits.delete(first, last)
            else:
                for _, op_first, op_last, _ in gone:
                    self.edits.delete(op_first, op_last)
        components = _block_mapping(_get(self.root, "components"))
        kinds = _entry_ranges(components, lines) if components is not None else iter(())
        for _, kind_first, kind_last, kind in kinds:
            if isinstance(kind, yaml.MappingNode) and not kind.flow_style:
                entries = list(_entry_ranges(kind, lines))
                marked = [(a, b) for _, a, b, node in entries if _marker_of(node) in removed]
                if marked and len(marked) == len(entries):
                    self.edits.delete(kind_first, kind_last)
                else:
                    for first, last in marked:
                        self.edits.delete(first, last)
        for fragment in fragments:
            for schema, values in _enum_values(fragment).items():
                self._edit_enum(schema, drop=values)
            for op_id in _request_properties(fragment):
                properties = self._body_properties(op_id)
                for _, first, last, node in (
                    _entry_ranges(properties, lines) if properties is not None else ()
                ):
                    if _marker_of(node) in removed:
                        self.edits.delete(first, last)

    # addition

    def add(self, fragment: Fragment) -> None:
        source = _compose_nodes(fragment.text)
        source_lines = fragment.text.splitlines(keepends=True)
        self._add_tags(source, source_lines)
        self._add_paths(source, source_lines)
        self._add_components(source, source_lines)
        for schema, values in _enum_values(fragment).items():
            self._edit_enum(schema, add=values)
        self._add_request_properties(source, source_lines)

    def _cut(self, lines: list[str], first: int, last: int, delta: int) -> list[str]:
        return _shift(lines[first : last + 1], delta)

    def _append_root(self, text: list[str]) -> None:
        self.edits.appended.extend(text)

    def _add_tags(self, source: yaml.MappingNode, source_lines: list[str]) -> None:
        wanted = _get(source, "tags")
        if not isinstance(wanted, yaml.SequenceNode) or not wanted.value:
            return
        tags = _get(self.root, "tags")
        if tags is not None and (not isinstance(tags, yaml.SequenceNode) or tags.flow_style):
            raise _Unsupported("`tags` is not a block sequence")
        have = set()
        if isinstance(tags, yaml.SequenceNode):
            have = {_scalar(_get(item, "name")) for item in tags.value}
        from_column = _dash_column(wanted, source_lines)
        present = isinstance(tags, yaml.SequenceNode) and bool(tags.value)
        if isinstance(tags, yaml.SequenceNode) and tags.value:
            to_column = _dash_column(tags, self.lines)
        else:
            to_column = self.unit
        new = [
            line
            for first, last, item in _item_ranges(wanted, source_lines)
            if _scalar(_get(item, "name")) not in have
            for line in self._cut(source_lines, first, last, to_column - from_column)
        ]
        if not new:
            return
        if present:
            assert tags is not None
            self.edits.insert_after(_last_line(tags, self.lines), new)
        else:
            self._append_root(["tags:\n", *new])

    def _add_paths(self, source: yaml.MappingNode, source_lines: list[str]) -> None:
        wanted = _block_mapping(_get(source, "paths"))
        if wanted is None or not wanted.value:
            return
        paths = _block_mapping(_get(self.root, "paths"))
        if paths is None or not paths.value:
            raise _Unsupported("the contract has no `paths` block")
        existing = {key: (last, item) for key, _, last, item in _entry_ranges(paths, self.lines)}
        to_column, from_column = _key_column(paths), _key_column(wanted)
        new: list[str] = []
        for template, first, last, item in _entry_ranges(wanted, source_lines):
            if template not in existing:
                new += self._cut(source_lines, first, last, to_column - from_column)
                continue
            there = _block_mapping(existing[template][1])
            assert there is not None and isinstance(item, yaml.MappingNode)
            have = {key for key, *_ in _entry_ranges(there, self.lines)}
            ops = [
                line
                for key, op_first, op_last, _ in _entry_ranges(item, source_lines)
                if _is_operation_key(key) and key not in have
                for line in self._cut(
                    source_lines,
                    op_first,
                    op_last,
                    _key_column(there) - _key_column(item),
                )
            ]
            if ops:
                self.edits.insert_after(_last_line(there, self.lines), ops)
        if new:
            self.edits.insert_after(_last_line(paths, self.lines), new)

    def _add_components(self, source: yaml.MappingNode, source_lines: list[str]) -> None:
        wanted = _block_mapping(_get(source, "components"))
        if wanted is None or not wanted.value:
            return
        components = _block_mapping(_get(self.root, "components"))
        kinds = (
            {key: value for key, _, _, value in _entry_ranges(components, self.lines)}
            if components is not None
            else {}
        )
        created: list[str] = []
        for kind, _, _, entries in _entry_ranges(wanted, source_lines):
            entries_map = _block_mapping(entries)
            if entries_map is None or not entries_map.value:
                continue
            from_column = _key_column(entries_map)
            there = _block_mapping(kinds.get(kind))
            if there is not None and there.value:
                have = {key for key, *_ in _entry_ranges(there, self.lines)}
                to_column = _key_column(there)
            else:
                have, to_column = set(), 2 * self.unit
            new = [
                line
                for name, first, last, _ in _entry_ranges(entries_map, source_lines)
                if name not in have
                for line in self._cut(source_lines, first, last, to_column - from_column)
            ]
            if not new:
                continue
            if there is not None and there.value:
                self.edits.insert_after(_last_line(there, self.lines), new)
            elif kind in kinds:
                raise _Unsupported(f"`components/{kind}` is empty or not a block mapping")
            else:
                created += [" " * self.unit + f"{kind}:\n", *new]
        if not created:
            return
        if components is not None and components.value:
            self.edits.insert_after(_last_line(components, self.lines), created)
        else:
            if components is not None:
                raise _Unsupported("`components` is empty")
            self._append_root(["components:\n", *created])

    def _add_request_properties(self, source: yaml.MappingNode, source_lines: list[str]) -> None:
        wanted = _block_mapping(_get(source, REQUEST_PROPERTIES))
        for op_id, _, _, added in _entry_ranges(wanted, source_lines) if wanted else ():
            added_map = _block_mapping(added)
            if added_map is None or not added_map.value:
                continue
            there = self._body_properties(op_id)
            if there is None or not there.value:
                raise _Unsupported(f"the request body of `{op_id}` has no block `properties`")
            have = {key for key, *_ in _entry_ranges(there, self.lines)}
            delta = _key_column(there) - _key_column(added_map)
            new = [
                line
                for name, first, last, _ in _entry_ranges(added_map, source_lines)
                if name not in have
                for line in self._cut(source_lines, first, last, delta)
            ]
            if new:
                self.edits.insert_after(_last_line(there, self.lines), new)

    def _resolve(self, node: yaml.Node | None) -> yaml.Node | None:
        """`node`, or what its local `$ref` points at."""
        ref = _get(node, "$ref")
        if not isinstance(ref, yaml.ScalarNode):
            return node
        if not ref.value.startswith("#/"):
            return None
        found: yaml.Node | None = self.root
        for part in ref.value[2:].split("/"):
            found = _get(found, part.replace("~1", "/").replace("~0", "~"))
        return found

    def _body_properties(self, op_id: str) -> yaml.MappingNode | None:
        paths = _get(self.root, "paths")
        for _, item in paths.value if isinstance(paths, yaml.MappingNode) else ():
            for method in METHODS:
                op = _get(item, method)
                if _scalar(_get(op, "operationId")) != op_id:
                    continue
                body = self._resolve(_get(op, "requestBody"))
                schema = self._resolve(
                    _get(_get(_get(body, "content"), "application/json"), "schema")
                )
                return _block_mapping(_get(schema, "properties"))
        return None

    # enums

    def _edit_enum(self, schema: str, *, add: Sequence[Any] = (), drop: Sequence[Any] = ()) -> None:
        node = _get(_get(_get(self.root, "components"), "schemas"), schema)
        enum = _get(node, "enum")
        if not isinstance(enum, yaml.SequenceNode):
            return
        loaded = [yaml.load(yaml.serialize(item), Loader=_Loader) for item in enum.value]
        missing = [value for value in add if value not in loaded]
        doomed = [index for index, value in enumerate(loaded) if value in drop]
        if not missing and not doomed:
            return
        if enum.flow_style:
            if enum.start_mark.line != enum.end_mark.line:
                raise _Unsupported(f"the enum of `{schema}` spans lines")
            line = self.lines[enum.start_mark.line]
            kept = [
                line[item.start_mark.column : item.end_mark.column]
                for index, item in enumerate(enum.value)
                if index not in doomed
            ]
            items = kept + [_scalar_text(value) for value in missing]
            self.edits.replace(
                enum.start_mark.line,
                enum.start_mark.column,
                enum.end_mark.column,
                "[" + ", ".join(items) + "]",
            )
            return
        for index in doomed:
            item = enum.value[index]
            if item.start_mark.line == item.end_mark.line or item.end_mark.column == 0:
                self.edits.delete(item.start_mark.line, item.start_mark.line)
            else:
                raise _Unsupported(f"an enum value of `{schema}` spans lines")
        if missing:
            column = _dash_column(enum, self.lines)
            text = [" " * column + f"- {_scalar_text(value)}\n" for value in missing]
            self.edits.insert_after(_last_line(enum, self.lines), text)


def _scalar(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


# -- the entry point -----------------------------------------------------------------------


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key != "$ref":
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolves(doc: Mapping[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return False
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def compose_contract(
    text: str,
    *,
    selected: Sequence[str],
    known: Sequence[str],
    fragments: Mapping[str, Fragment],
    source: str | Path,
) -> str:
    """The contract `text` with the fragments of the `selected` modules merged in (entries it
    already has are kept as they are) and the entries marked by other `known` modules taken
    out. `fragments` holds every known module's fragment. Unchanged input comes back as is."""
    if not selected and _holds_no_module(text, fragments.values()):
        return text
    is_json = text.lstrip().startswith("{")
    try:
        parsed = json.loads(text) if is_json else yaml.load(text, Loader=_Loader)
    except (ValueError, yaml.YAMLError):
        raise UserError("cannot be read to merge modules into", path=source) from None
    if not isinstance(parsed, dict):
        raise UserError("is not a mapping; cannot merge modules into it", path=source)
    removed = frozenset(name for name in known if name not in selected)
    expected = copy.deepcopy(parsed)
    _remove_data(expected, removed, [fragments[name] for name in sorted(removed)])
    for name in selected:
        for op_id in _request_properties(fragments[name]):
            if _body_properties(expected, op_id) is None:
                raise UserError(
                    f"module `{name}` adds to the request body of `{op_id}`, which the contract "
                    "does not have as an object with `properties`; add it (the canonical "
                    "contract has it) or leave the module out",
                    path=source,
                )
        _add_data(expected, fragments[name])
    for name in selected:
        for ref in _refs(fragments[name].data):
            if not _resolves(expected, ref):
                raise UserError(
                    f"module `{name}` refers to `{ref}`, which the contract does not define; "
                    "add it (the canonical contract has it) or leave the module out",
                    path=source,
                )
    if expected == parsed:
        return text
    if is_json:
        indent = _json_indent(text)
        return json.dumps(expected, indent=indent, ensure_ascii=False) + "\n"
    try:
        merge = _TextMerge(text)
        merge.remove(removed, [fragments[name] for name in sorted(removed)])
        for name in selected:
            merge.add(fragments[name])
        merged = merge.edits.render()
    except _Unsupported as error:
        raise UserError(
            f"cannot merge modules into this contract in place: {error}; write `tags`, `paths` "
            "and `components` in block style",
            path=source,
        ) from None
    if yaml.load(merged, Loader=_Loader) != expected:
        raise UserError(
            "cannot merge modules into this contract in place without changing its meaning; "
            "write `tags`, `paths` and `components` in block style",
            path=source,
        )
    return merged


def _holds_no_module(text: str, fragments: Iterable[Fragment]) -> bool:
    """Whether the text can hold nothing a module adds: no entry marked as a module's and no
    enum value a module adds written anywhere in it. A test on the text that errs towards the
    full comparison, and spares reading the contract again when no module is picked."""
    if MARKER in text:
        return False
    for fragment in fragments:
        for values in _enum_values(fragment).values():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                return False
            if any(value in text for value in values):
                return False
    return True


def _json_indent(text: str) -> int:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" ")
        if stripped:
            return len(line) - len(stripped) or 2
    return 2
