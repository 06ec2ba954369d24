"""The typed view of a contract that lint rules, the renderer and the docs builder read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from shopgen.errors import UserError

from ._pointer import join_pointer
from ._refs import References
from ._show import json_text
from ._source import Source

__all__ = [
    "HTTP_METHODS",
    "Contract",
    "MediaType",
    "Operation",
    "Parameter",
    "PathItem",
    "SchemaNode",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAM = re.compile(r"^\{([^{}]+)\}$")
_TEMPLATE_PARAM = re.compile(r"\{([^{}]+)\}")

# Keywords whose value is one subschema, a list of them, or a name → subschema map.
_ONE_SCHEMA = (
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
)
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    schema: Any
    node: dict[str, Any]
    pointer: str
    """Where it is written: in the operation or the path item."""
    defined_at: str = ""
    """Where the parameter object stands: the component it refs, else `pointer`."""


@dataclass(frozen=True)
class MediaType:
    media_type: str
    schema: Any
    node: dict[str, Any]
    pointer: str

    @property
    def is_json(self) -> bool:
        base = self.media_type.split(";", 1)[0].strip().lower()
        return base == "application/json" or base.endswith("+json")


@dataclass(frozen=True)
class SchemaNode:
    """One schema object where it is written (refs are not followed)."""

    schema: dict[str, Any]
    pointer: str
    name: str | None = None
    """The property name when this schema is a property's."""
    holder: dict[str, Any] | None = None
    """The schema whose `properties` hold this one, when it is a property's."""


@dataclass(frozen=True)
class PathItem:
    template: str
    node: dict[str, Any]
    pointer: str

    @cached_property
    def segments(self) -> list[str]:
        return [s for s in self.template.split("/") if s]

    @cached_property
    def literal_segments(self) -> list[str]:
        return [s for s in self.segments if not _PARAM.match(s)]

    @property
    def template_params(self) -> list[str]:
        return _TEMPLATE_PARAM.findall(self.template)

    @property
    def ends_with_param(self) -> bool:
        segments = self.segments
        return bool(segments) and bool(_PARAM.match(segments[-1]))


@dataclass(frozen=True)
class Operation:
    contract: Contract = field(repr=False)
    path: PathItem
    method: str
    node: dict[str, Any]
    pointer: str

    @property
    def operation_id(self) -> str | None:
        value = self.node.get("operationId")
        return value if isinstance(value, str) else None

    @property
    def name(self) -> str:
        """How findings name the operation: its operationId, else `METHOD /path`."""
        return self.operation_id or f"{self.method.upper()} {self.path.template}"

    @property
    def tags(self) -> list[str]:
        tags = self.node.get("tags")
        return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []

    @property
    def summary(self) -> str | None:
        value = self.node.get("summary")
        return value if isinstance(value, str) else None

    @property
    def is_explicitly_public(self) -> bool:
        return self.node.get("security") == []

    @property
    def security(self) -> list[dict[str, Any]]:
        """The security requirements in force: the operation's own, else the root's."""
        value = self.node.get("security", self.contract.document.get("security"))
        return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []

    @property
    def is_secured(self) -> bool:
        return any(requirement for requirement in self.security) and {} not in self.security

    @cached_property
    def parameters(self) -> list[Parameter]:
        """Path-item and operation parameters, refs followed, the operation's winning."""
        merged: dict[tuple[str, str], Parameter] = {}
        for owner, owner_pointer in (
            (self.path.node, self.path.pointer),
            (self.node, self.pointer),
        ):
            params = owner.get("parameters")
            if not isinstance(params, list):
                continue
            for index, raw in enumerate(params):
                written = f"{owner_pointer}/parameters/{index}"
                node, defined_at = self.contract.deref_pointer(raw, written)
                if not isinstance(node, dict):
                    continue
                name, location = node.get("name"), node.get("in")
                if not isinstance(name, str) or not isinstance(location, str):
                    continue
                schema = node.get("schema")
                if schema is None and isinstance(node.get("content"), dict):
                    first = next(iter(node["content"].values()), None)
                    schema = first.get("schema") if isinstance(first, dict) else None
                merged[(name, location)] = Parameter(
                    name=name,
                    location=location,
                    required=node.get("required") is True,
                    schema=schema,
                    node=node,
                    pointer=written,
                    defined_at=defined_at,
                )
        return list(merged.values())

    def parameter(self, name: str, location: str) -> Parameter | None:
        for param in self.parameters:
            if param.name == name and param.location == location:
                return param
        return None

    @cached_property
    def request_body(self) -> dict[str, Any] | None:
        raw = self.node.get("requestBody")
        if raw is None:
            return None
        body = self.contract.deref(raw)
        return body if isinstance(body, dict) else None

    @property
    def request_media(self) -> list[MediaType]:
        body = self.node.get("requestBody")
        if body is None:
            return []
        return self.contract.media_types(body, f"{self.pointer}/requestBody")

    @property
    def responses(self) -> dict[str, Any]:
        value = self.node.get("responses")
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}

    def response_media(self, status: str) -> list[MediaType]:
        response = self.responses.get(status)
        if response is None:
            return []
        return self.contract.media_types(response, f"{self.pointer}/responses/{status}")


class Contract:
    """A loaded contract: its document, its referenced files and typed views over them."""

    def __init__(self, source: Source, references: References | None = None) -> None:
        self.source = source
        self.references = references if references is not None else References(source)

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_document(cls, document: dict[str, Any], path: str | Path = "openapi.yaml") -> Contract:
        """A contract from an in-memory document (tests, generated contracts)."""
        import json

        from ._index import index_document
        from ._source import MAX_DEPTH

        text = json.dumps(document, indent=2)
        source = Source(
            path=Path(path),
            text=text,
            format="json",
            document=document,
            sha256="",
            index=index_document(document, MAX_DEPTH),
        )
        return cls(source)

    # -- the document ------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def text(self) -> str:
        return self.source.text

    @property
    def sha256(self) -> str:
        return self.source.sha256

    @property
    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = self.source.document
        return document

    @property
    def openapi_version(self) -> str:
        value = self.document.get("openapi")
        return value if isinstance(value, str) else ""

    def refuse_swagger(self) -> None:
        """A Swagger 2.0 document is another language: `UserError` naming it and the way out.

        Its findings would all be noise (no `openapi` field, then every house rule on a shape
        they do not know), so lint, diff and docs stop at once.
        """
        document = self.document
        if "openapi" in document or "swagger" not in document:
            return
        line, column = self.source.locate("/swagger")
        raise UserError(
            f"`swagger: {json_text(document['swagger'])}` (Swagger 2.0) is not supported; "
            "convert it to OpenAPI 3.x (e.g. `npx swagger2openapi`)",
            path=self.path,
            line=line,
            column=column,
        )

    @property
    def is_31(self) -> bool:
        return self.openapi_version.startswith("3.1")

    @property
    def title(self) -> str:
        info = self.document.get("info")
        title = info.get("title") if isinstance(info, dict) else None
        return title if isinstance(title, str) else self.path.stem

    def components(self, kind: str) -> dict[str, Any]:
        components = self.document.get("components")
        section = components.get(kind) if isinstance(components, dict) else None
        return section if isinstance(section, dict) else {}

    # -- references --------------------------------------------------------------------------

    def deref(self, node: Any) -> Any:
        """Follow `$ref` chains to the node they name; an unresolvable ref gives `{}`."""
        return self.deref_pointer(node, "")[0]

    def deref_pointer(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Like `deref`, also returning the pointer of the node reached (main file only).

        `node` is read as standing where a reference may stand. A reference the loader
        recognised resolves through its normalised target; any other mapping with a string
        `$ref` (one built in memory, say) is read as a reference into this contract.
        """
        references = self.references
        seen: set[int] = set()
        while isinstance(node, dict) and "$ref" in node:
            if id(node) in seen:
                return {}, pointer
            seen.add(id(node))
            site = references.site(node)
            if site is not None:
                target = site.target
            else:
                raw = node["$ref"]
                target = raw if isinstance(raw, str) and raw.startswith("#") else None
            found = references.lookup(target) if target is not None else None
            if found is None:
                return {}, pointer
            node, key, fragment = found
            pointer = fragment if not key else pointer
        return node, pointer

    def bundled(self) -> dict[str, Any]:
        """The document as one file: each `$ref` to another file replaced by a copy of its target.

        References inside the document stay references, written as the author wrote them;
        a reference from another file back into this one becomes `#/…`. A chain of references
        that leads back through another file cannot be inlined and is a `UserError`. Parts not
        copied from another file are shared with the document, not copied.
        """
        references = self.references

        def copy(node: Any, chain: tuple[str, ...], inlined: bool) -> Any:
            if isinstance(node, list):
                items = [copy(item, chain, inlined) for item in node]
                changed = any(a is not b for a, b in zip(items, node, strict=True))
                return items if inlined or changed else node
            if not isinstance(node, dict):
                return node
            site = references.site(node)
            if site is not None and site.target is not None:
                if not site.target.startswith("#"):
                    ref = site.target
                    if ref in chain:
                        loop = " → ".join([*chain[chain.index(ref) :], ref])
                        raise UserError(
                            f"$ref cycle through other files cannot be bundled: {loop}",
                            path=self.path,
                        )
                    found = references.lookup(ref)
                    if found is not None:
                        target = copy(found[0], (*chain, ref), True)
                        siblings = {
                            k: copy(v, chain, inlined) for k, v in node.items() if k != "$ref"
                        }
                        return {**target, **siblings} if isinstance(target, dict) else target
                elif inlined:
                    # Written in another file, pointing into the contract: local here.
                    return {
                        key: site.target if key == "$ref" else copy(value, chain, inlined)
                        for key, value in node.items()
                    }
            copied = {key: copy(value, chain, inlined) for key, value in node.items()}
            if inlined or any(copied[key] is not value for key, value in node.items()):
                return copied
            return node

        bundled: dict[str, Any] = copy(self.document, (), False)
        return bundled

    # -- paths and operations ----------------------------------------------------------------

    @cached_property
    def paths(self) -> list[PathItem]:
        paths = self.document.get("paths")
        if not isinstance(paths, dict):
            return []
        items = []
        for template, raw in paths.items():
            pointer = join_pointer(["paths", str(template)])
            node, _ = self.deref_pointer(raw, pointer)
            if isinstance(node, dict):
                items.append(PathItem(str(template), node, pointer))
        return items

    @cached_property
    def path_templates(self) -> set[str]:
        return {item.template for item in self.paths}

    @cached_property
    def operations(self) -> list[Operation]:
        operations = []
        for item in self.paths:
            for method in HTTP_METHODS:
                node = item.node.get(method)
                if isinstance(node, dict):
                    operations.append(
                        Operation(self, item, method, node, f"{item.pointer}/{method}")
                    )
        return operations

    def is_collection(self, item: PathItem) -> bool:
        """A path whose last segment is literal and which has `<path>/{param}` beside it."""
        if item.ends_with_param or not item.segments:
            return False
        return item.template.rstrip("/") in self._item_parents

    @cached_property
    def _item_parents(self) -> set[str]:
        """Templates `P` such that some path is `P/{param}`: one pass, so lookups are O(1)."""
        parents = set()
        for template in self.path_templates:
            cut = template.rfind("/{")
            if cut >= 0 and _PARAM.match(template[cut + 1 :]):
                parents.add(template[:cut])
        return parents

    # -- media types and schemas ---------------------------------------------------------------

    def media_types(self, holder: Any, pointer: str) -> list[MediaType]:
        """The media types of a request body or response (refs followed)."""
        node, resolved = self.deref_pointer(holder, pointer)
        # Findings about a shared component are reported where it is used.
        if resolved != pointer and not resolved.startswith("/paths"):
            resolved = pointer
        content = node.get("content") if isinstance(node, dict) else None
        if not isinstance(content, dict):
            return []
        found = []
        for media_type, media in content.items():
            if isinstance(media, dict):
                found.append(
                    MediaType(
                        str(media_type),
                        media.get("schema"),
                        media,
                        join_pointer([*_split(resolved), "content", str(media_type)]),
                    )
                )
        return found

    def schema_view(
        self, schema: Any, _depth: int = 0
    ) -> tuple[dict[str, Any], set[str], set[str]]:
        """(properties, required, types) of a schema with refs followed and allOf merged."""
        properties: dict[str, Any] = {}
        required: set[str] = set()
        types: set[str] = set()
        node = self.deref(schema)
        if not isinstance(node, dict) or _depth > 32:
            return properties, required, types
        declared = node.get("type")
        if isinstance(declared, str):
            types.add(declared)
        elif isinstance(declared, list):
            types.update(t for t in declared if isinstance(t, str))
        if isinstance(node.get("properties"), dict):
            properties.update(node["properties"])
            if not types:
                types.add("object")
        if isinstance(node.get("required"), list):
            required.update(r for r in node["required"] if isinstance(r, str))
        for member in node.get("allOf", []) if isinstance(node.get("allOf"), list) else []:
            props, req, member_types = self.schema_view(member, _depth + 1)
            properties.update({k: v for k, v in props.items() if k not in properties})
            required |= req
            types |= member_types
        return properties, required, types

    def iter_schemas(self) -> Iterator[SchemaNode]:
        """Every schema object written in the main document, each where it stands."""
        for pointer, schema in self.root_schemas():
            yield from _walk_schema(schema, pointer)

    @cached_property
    def schemas(self) -> tuple[SchemaNode, ...]:
        """`iter_schemas()` walked once and kept: several rules read every schema."""
        return tuple(self.iter_schemas())

    def schema_types(self, schema: Any, _depth: int = 0) -> set[str]:
        """The JSON types a schema admits: refs followed, allOf merged, anyOf/oneOf joined.

        `nullable: true` (OpenAPI 3.0) adds `"null"`, as `type: [integer, "null"]` does in 3.1.
        An empty set means the schema does not say.
        """
        node = self.deref(schema)
        if not isinstance(node, dict) or _depth > 32:
            return set()
        types = self.schema_view(node)[2]
        if node.get("nullable") is True:
            types.add("null")
        for keyword in ("anyOf", "oneOf"):
            members = node.get(keyword)
            if isinstance(members, list):
                for member in members:
                    types |= self.schema_types(member, _depth + 1)
        return types

    def property_schemas(self, schema: Any, name: str, _depth: int = 0) -> list[Any]:
        """Every subschema that constrains property `name`: refs followed, across `allOf`.

        `schema_view` keeps the first declaration of a property; an envelope whose `data: {}`
        is narrowed by a later `allOf` member needs all of them.
        """
        node = self.deref(schema)
        if not isinstance(node, dict) or _depth > 32:
            return []
        found = []
        properties = node.get("properties")
        if isinstance(properties, dict) and name in properties:
            found.append(properties[name])
        members = node.get("allOf")
        for member in members if isinstance(members, list) else []:
            found += self.property_schemas(member, name, _depth + 1)
        return found

    def root_schemas(self) -> Iterator[tuple[str, Any]]:
        """Every schema that is not inside another: components, parameters, headers, media."""
        for name, schema in self.components("schemas").items():
            yield join_pointer(["components", "schemas", str(name)]), schema
        for holder, pointer in self._schema_holders():
            if isinstance(holder, dict) and "schema" in holder:
                yield f"{pointer}/schema", holder["schema"]

    def _schema_holders(self) -> Iterator[tuple[Any, str]]:
        """Parameters, headers and media types, written in paths or components."""

        def media_of(owner: Any, pointer: str) -> Iterator[tuple[Any, str]]:
            if isinstance(owner, dict) and isinstance(owner.get("content"), dict):
                for media_type, media in owner["content"].items():
                    yield media, join_pointer([*_split(pointer), "content", str(media_type)])

        def response_parts(response: Any, pointer: str) -> Iterator[tuple[Any, str]]:
            yield from media_of(response, pointer)
            if isinstance(response, dict) and isinstance(response.get("headers"), dict):
                for name, header in response["headers"].items():
                    header_pointer = join_pointer([*_split(pointer), "headers", str(name)])
                    yield header, header_pointer
                    yield from media_of(header, header_pointer)

        for kind in ("parameters", "headers"):
            for name, node in self.components(kind).items():
                pointer = join_pointer(["components", kind, str(name)])
                yield node, pointer
                yield from media_of(node, pointer)
        for name, node in self.components("requestBodies").items():
            yield from media_of(node, join_pointer(["components", "requestBodies", str(name)]))
        for name, node in self.components("responses").items():
            yield from response_parts(node, join_pointer(["components", "responses", str(name)]))
        for item in self.paths:
            params = item.node.get("parameters")
            for index, param in enumerate(params if isinstance(params, list) else []):
                yield param, f"{item.pointer}/parameters/{index}"
                yield from media_of(param, f"{item.pointer}/parameters/{index}")
        for op in self.operations:
            params = op.node.get("parameters")
            for index, param in enumerate(params if isinstance(params, list) else []):
                yield param, f"{op.pointer}/parameters/{index}"
                yield from media_of(param, f"{op.pointer}/parameters/{index}")
            yield from media_of(op.node.get("requestBody"), f"{op.pointer}/requestBody")
            for status, response in op.responses.items():
                yield from response_parts(response, f"{op.pointer}/responses/{status}")


def _split(pointer: str) -> list[str]:
    from ._pointer import split_pointer

    return split_pointer(pointer)


def _walk_schema(root: Any, root_pointer: str) -> Iterator[SchemaNode]:
    stack: list[tuple[Any, str, str | None, dict[str, Any] | None]] = [
        (root, root_pointer, None, None)
    ]
    seen: set[int] = set()
    while stack:
        schema, pointer, prop, holder = stack.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        yield SchemaNode(schema, pointer, prop, holder)
        for keyword in _ONE_SCHEMA:
            if isinstance(schema.get(keyword), dict):
                stack.append((schema[keyword], f"{pointer}/{keyword}", None, None))
        for keyword in _SCHEMA_LISTS:
            members = schema.get(keyword)
            if isinstance(members, list):
                stack.extend(
                    (member, f"{pointer}/{keyword}/{index}", None, None)
                    for index, member in enumerate(members)
                )
        for keyword in _SCHEMA_MAPS:
            members = schema.get(keyword)
            if isinstance(members, dict):
                is_props = keyword == "properties"
                stack.extend(
                    (
                        member,
                        f"{pointer}/{keyword}/{_escape(str(key))}",
                        str(key) if is_props else None,
                        schema if is_props else None,
                    )
                    for key, member in members.items()
                )


def _escape(part: str) -> str:
    """One JSON pointer segment; re-splitting the parent pointer for each child is quadratic."""
    return part.replace("~", "~0").replace("/", "~1") if "~" in part or "/" in part else part
