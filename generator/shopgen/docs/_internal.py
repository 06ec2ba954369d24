"""Leaving out what is marked `x-internal-only: true`, and what only those parts used.

Anything the marker sits on goes: a path item, an operation, a component, a property, a
parameter, a tag. Then components that only the removed parts referred to go too (an internal
operation's request schema must not survive in the schema list), as do security schemes and tags
that only internal operations used. Components nothing used to begin with stay: removing them
would be a surprise unrelated to the marker.

The document is never mutated: changed containers are copied, untouched ones are shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shopgen.errors import UserError

__all__ = ["MARKER", "Removal", "strip_internal"]

MARKER = "x-internal-only"

_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# Keys whose value is literal data, never structure: a marker inside an example is just data.
_DATA_KEYS = frozenset({"example", "default", "enum", "const"})
# Containers whose keys are names chosen by the author, so a name like `example` is not a keyword.
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "dependentSchemas",
        "$defs",
        "definitions",
        "paths",
        "webhooks",
        "x-webhooks",
        "responses",
        "callbacks",
        "content",
        "headers",
        "links",
        "encoding",
        "variables",
        "mapping",
        "schemas",
        "parameters",
        "requestBodies",
        "securitySchemes",
        "pathItems",
    }
)
_ROOT = ""


@dataclass(frozen=True)
class Removal:
    """What was left out of the page, by kind, in document order."""

    paths: tuple[str, ...] = ()
    """Path items marked internal, e.g. `/internal/reindex`."""
    operations: tuple[str, ...] = ()
    """Operations marked internal, e.g. `POST /coupons/bulk`."""
    components: tuple[str, ...] = ()
    """Components marked internal, e.g. `schemas/CouponBatch`."""
    unused: tuple[str, ...] = ()
    """Components, security schemes and tags that only removed parts used."""
    other: tuple[str, ...] = ()
    """Other marked parts (properties, parameters, tags, …) as JSON pointers."""

    def __bool__(self) -> bool:
        return any((self.paths, self.operations, self.components, self.unused, self.other))

    def messages(self) -> list[str]:
        """One line per kind, for the command's report."""
        lines = []
        for items, one, many in (
            (self.paths, "internal path", "internal paths"),
            (self.operations, "internal operation", "internal operations"),
            (self.components, "internal component", "internal components"),
            (self.other, "other internal part", "other internal parts"),
            (self.unused, "part used only by internal ones", "parts used only by internal ones"),
        ):
            if items:
                what = one if len(items) == 1 else many
                lines.append(f"left out {len(items)} {what}: {_some(items)}")
        return lines


def _some(items: tuple[str, ...], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f" and {len(items) - limit} more"
    return shown


@dataclass
class _Uses:
    """What a set of parts refers to: components (by `#/components/<type>/<name>`) and tags."""

    components: dict[str, set[str]] = field(default_factory=dict)
    """Owner (a component key, or `""` for everything outside components) → components used."""
    tags: set[str] = field(default_factory=set)

    def add(self, owner: str, component: str) -> None:
        self.components.setdefault(owner, set()).add(component)


@dataclass(frozen=True)
class _RefSite:
    owner: str
    pointer: str
    ref: str


class _Stripper:
    def __init__(self) -> None:
        self.kept = _Uses()
        self.dropped = _Uses()
        self.sites: list[_RefSite] = []
        self.removed: list[tuple[str, ...]] = []

    def walk(self, node: Any, path: list[str], owner: str, parent_key: str | None) -> Any:
        if isinstance(node, dict):
            return self._walk_dict(node, path, owner, parent_key)
        if isinstance(node, list):
            return self._walk_list(node, path, owner, parent_key)
        return node

    def _walk_dict(
        self, node: dict[Any, Any], path: list[str], owner: str, parent_key: str | None
    ) -> dict[Any, Any]:
        names = parent_key in _NAME_MAPS
        out: dict[Any, Any] = {}
        changed = False
        for key, value in node.items():
            skey = str(key)
            if not names:
                if skey == "$ref" and isinstance(value, str):
                    self._ref(value, path, owner, self.kept)
                    out[key] = value
                    continue
                if skey in _DATA_KEYS or (skey == "value" and _is_example(path)):
                    out[key] = value
                    continue
                if skey == "examples" and isinstance(value, list):
                    out[key] = value
                    continue
                if skey == "security" and isinstance(value, list):
                    _security(value, owner, self.kept)
                elif skey == "tags" and path and path[-1] in _METHODS and isinstance(value, list):
                    self.kept.tags.update(tag for tag in value if isinstance(tag, str))
            if parent_key == "mapping" and isinstance(value, str):
                self._mapping(value, path + [skey], owner, self.kept)
            path.append(skey)
            child_owner = owner
            if len(path) == 3 and path[0] == "components":
                child_owner = "#/components/" + _escape(path[1]) + "/" + _escape(path[2])
            if len(path) >= 2 and isinstance(value, dict) and value.get(MARKER) is True:
                self.removed.append(tuple(path))
                self._gather(value, path, child_owner)
                changed = True
            else:
                new = self.walk(value, path, child_owner, skey)
                out[key] = new
                changed = changed or new is not value
            path.pop()
        if not changed:
            return node
        if "required" in out and isinstance(out.get("properties"), dict):
            present = out["properties"]
            required = [name for name in out["required"] if name in present]
            if len(required) != len(out["required"]):
                out["required"] = required
        return out

    def _walk_list(
        self, node: list[Any], path: list[str], owner: str, parent_key: str | None
    ) -> list[Any]:
        out: list[Any] = []
        changed = False
        for index, value in enumerate(node):
            path.append(str(index))
            if len(path) >= 2 and isinstance(value, dict) and value.get(MARKER) is True:
                self.removed.append(tuple(path))
                self._gather(value, path, owner)
                changed = True
            else:
                new = self.walk(value, path, owner, None)
                out.append(new)
                changed = changed or new is not value
            path.pop()
        return out if changed else node

    def _gather(self, node: Any, path: list[str], owner: str) -> None:
        """Record what a removed part used, so what only it used can go as well."""
        stack: list[tuple[Any, str | None]] = [(node, None)]
        seen: set[int] = set()
        while stack:
            current, parent_key = stack.pop()
            if isinstance(current, dict):
                if id(current) in seen:
                    continue
                seen.add(id(current))
                names = parent_key in _NAME_MAPS
                for key, value in current.items():
                    skey = str(key)
                    if not names:
                        if skey == "$ref" and isinstance(value, str):
                            self._ref(value, path, owner, self.dropped, site=False)
                            continue
                        if skey in _DATA_KEYS:
                            continue
                        if skey == "security" and isinstance(value, list):
                            _security(value, owner, self.dropped)
                        elif skey == "tags" and isinstance(value, list):
                            self.dropped.tags.update(t for t in value if isinstance(t, str))
                    if parent_key == "mapping" and isinstance(value, str):
                        self._mapping(value, path, owner, self.dropped, site=False)
                    stack.append((value, skey))
            elif isinstance(current, list):
                if id(current) in seen:
                    continue
                seen.add(id(current))
                stack.extend((value, None) for value in current)

    def _ref(
        self, ref: str, path: list[str], owner: str, uses: _Uses, *, site: bool = True
    ) -> None:
        if not ref.startswith("#"):
            return
        component = _component_of(ref)
        if component is not None:
            uses.add(owner, component)
        if site:
            self.sites.append(_RefSite(owner, _pointer(path), ref))

    def _mapping(
        self, value: str, path: list[str], owner: str, uses: _Uses, *, site: bool = True
    ) -> None:
        # A discriminator mapping value is a reference or a bare schema name.
        ref = value if value.startswith("#") else f"#/components/schemas/{_escape(value)}"
        if "/" in value and not value.startswith("#"):
            return
        self._ref(ref, path, owner, uses, site=site)


def _is_example(path: list[str]) -> bool:
    return len(path) >= 2 and path[-2] == "examples"


def _security(requirements: list[Any], owner: str, uses: _Uses) -> None:
    for requirement in requirements:
        if isinstance(requirement, dict):
            for name in requirement:
                uses.add(owner, "#/components/securitySchemes/" + _escape(str(name)))


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _pointer(path: Iterable[str]) -> str:
    return "#" + "".join("/" + _escape(part) for part in path)


def _component_of(ref: str) -> str | None:
    parts = ref.split("/", 4)
    if len(parts) >= 4 and parts[0] == "#" and parts[1] == "components":
        return "/".join(parts[:4])
    return None


def _closure(roots: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(edges.get(current, ()))
    return seen


def _components(document: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    components = document.get("components")
    if not isinstance(components, dict):
        return
    for kind, entries in components.items():
        if isinstance(entries, dict):
            for name in entries:
                key = "#/components/" + _escape(str(kind)) + "/" + _escape(str(name))
                yield key, str(kind), str(name)


def strip_internal(document: dict[str, Any]) -> tuple[dict[str, Any], Removal]:
    """The document without its internal parts, and what was removed.

    Raises `UserError` when a public part refers to an internal one: the page would show a
    broken reference, or the internal part would have to stay.
    """
    stripper = _Stripper()
    stripped: dict[str, Any] = stripper.walk(document, [], _ROOT, None)
    if not stripper.removed:
        return document, Removal()
    stripped = _without_emptied_path_items(document, stripped)

    marked = {
        "#/components/" + _escape(path[1]) + "/" + _escape(path[2])
        for path in stripper.removed
        if len(path) == 3 and path[0] == "components"
    }
    every = {key for key, _, _ in _components(document)}
    before_edges = {
        owner: stripper.kept.components.get(owner, set())
        | stripper.dropped.components.get(owner, set())
        for owner in stripper.kept.components.keys() | stripper.dropped.components.keys()
    }
    used_before = _closure(before_edges.get(_ROOT, ()), before_edges)
    unused_before = every - used_before - marked
    keep = _closure(
        stripper.kept.components.get(_ROOT, set()) | unused_before, stripper.kept.components
    )
    orphans = [key for key, _, _ in _components(stripped) if key not in keep]
    orphan_set = set(orphans)
    if orphans:
        stripped = _without_components(stripped, orphan_set)

    _check_dangling(stripper, marked | orphan_set)

    unused_tags = stripper.dropped.tags - stripper.kept.tags
    dropped_tags: list[str] = []
    if unused_tags:
        stripped, dropped_tags = _without_tags(stripped, unused_tags)

    kinds: dict[str, list[str]] = {"paths": [], "operations": [], "components": [], "other": []}
    for path in stripper.removed:
        if len(path) == 2 and path[0] in ("paths", "webhooks", "x-webhooks"):
            kinds["paths"].append(path[1] if path[0] == "paths" else f"{path[0]} {path[1]}")
        elif len(path) == 3 and path[0] in ("paths", "webhooks", "x-webhooks"):
            where = path[1] if path[0] == "paths" else f"{path[0]} {path[1]}"
            kinds["operations"].append(f"{path[2].upper()} {where}")
        elif len(path) == 3 and path[0] == "components":
            kinds["components"].append(f"{path[1]}/{path[2]}")
        else:
            kinds["other"].append(_pointer(path))
    unused = [key.removeprefix("#/components/") for key in orphans]
    unused += [f"tag {name}" for name in dropped_tags]
    return stripped, Removal(
        paths=tuple(kinds["paths"]),
        operations=tuple(kinds["operations"]),
        components=tuple(kinds["components"]),
        unused=tuple(unused),
        other=tuple(kinds["other"]),
    )


def _without_emptied_path_items(
    document: dict[str, Any], stripped: dict[str, Any]
) -> dict[str, Any]:
    """Drop path items whose every operation was internal: an entry with nothing to show."""
    out = stripped
    for section in ("paths", "webhooks", "x-webhooks"):
        before, after = document.get(section), stripped.get(section)
        if not isinstance(before, dict) or not isinstance(after, dict) or before is after:
            continue
        emptied = [
            name
            for name, item in after.items()
            if isinstance(item, dict)
            and not _METHODS & item.keys()
            and isinstance(before.get(name), dict)
            and _METHODS & before[name].keys()
        ]
        if emptied:
            out = {**out, section: {k: v for k, v in after.items() if k not in emptied}}
    return out


def _without_components(document: dict[str, Any], drop: set[str]) -> dict[str, Any]:
    components = dict(document["components"])
    for kind, entries in list(components.items()):
        if not isinstance(entries, dict):
            continue
        prefix = "#/components/" + _escape(str(kind)) + "/"
        kept = {
            name: value
            for name, value in entries.items()
            if prefix + _escape(str(name)) not in drop
        }
        if len(kept) != len(entries):
            components[kind] = kept
    return {**document, "components": components}


def _check_dangling(stripper: _Stripper, gone_components: set[str]) -> None:
    gone_pointers = ["#/" + "/".join(_escape(part) for part in path) for path in stripper.removed]
    for site in stripper.sites:
        if site.owner in gone_components:
            continue
        component = _component_of(site.ref)
        dangling = component in gone_components if component is not None else False
        if not dangling:
            dangling = any(
                site.ref == gone or site.ref.startswith(gone + "/") for gone in gone_pointers
            )
        if dangling:
            raise UserError(
                f"`{site.pointer}` refers to `{site.ref}`, which is internal-only (marked "
                f"{MARKER}); mark the referring part internal too, or publish with "
                "--include-internal"
            )


def _without_tags(document: dict[str, Any], unused: set[str]) -> tuple[dict[str, Any], list[str]]:
    out = dict(document)
    dropped: list[str] = []
    tags = document.get("tags")
    if isinstance(tags, list):
        kept = []
        for tag in tags:
            if isinstance(tag, dict) and tag.get("name") in unused:
                dropped.append(str(tag["name"]))
            else:
                kept.append(tag)
        out["tags"] = kept
    groups = document.get("x-tagGroups")
    if isinstance(groups, list):
        new_groups = []
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("tags"), list):
                names = [name for name in group["tags"] if name not in unused]
                if not names:
                    continue
                group = {**group, "tags": names}
            new_groups.append(group)
        out["x-tagGroups"] = new_groups
    return out, dropped
