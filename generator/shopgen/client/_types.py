"""TypeScript declarations of a contract, shaped as openapi-typescript shapes them.

`schema.d.ts` exports `paths`, `webhooks`, `components`, `$defs` and `operations` with the
structure openapi-typescript 7 gives them, so code written against one works with the other
(the tests check the two agree type for type). The schema is read literally: a property with
a `default` stays optional unless `required` says otherwise, which is openapi-typescript's
`--default-non-nullable false` (its default makes such properties required, which would force
clients to send every defaulted field of a request body).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from shopgen.contract import HTTP_METHODS, Contract, Operation

__all__ = ["TypeWriter", "quote_key"]

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_COMPONENT_REF = re.compile(r"^#/components/([A-Za-z]+)/([^/]+)$")
_MAX_DEPTH = 64


def quote_key(name: str) -> str:
    return name if _IDENTIFIER.match(name) else json.dumps(name, ensure_ascii=False)


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "unknown"


def _comment(text: Any, indent: str) -> str:
    if not isinstance(text, str) or not text.strip():
        return ""
    lines = text.strip().replace("*/", "*\\/").splitlines()
    if len(lines) == 1:
        return f"{indent}/** {lines[0]} */\n"
    body = "".join(f"{indent} * {line}".rstrip() + "\n" for line in lines)
    return f"{indent}/**\n{body}{indent} */\n"


def _union(parts: Iterable[str]) -> str:
    unique = list(dict.fromkeys(p for p in parts if p))
    if not unique:
        return "never"
    if "unknown" in unique:
        return "unknown"
    return " | ".join(unique)


def _wrap(text: str) -> str:
    return f"({text})" if (" | " in text or " & " in text) and not text.startswith("{") else text


class TypeWriter:
    def __init__(self, contract: Contract) -> None:
        self._contract = contract
        self._is_30 = contract.openapi_version.startswith("3.0")

    # -- schemas -----------------------------------------------------------------------------

    def schema(self, node: Any, indent: str = "", depth: int = 0) -> str:
        if node is True or node == {}:
            return "unknown"
        if node is False:
            return "never"
        if not isinstance(node, dict) or depth > _MAX_DEPTH:
            return "unknown"
        ref = node.get("$ref")
        if isinstance(ref, str):
            found = _COMPONENT_REF.match(ref)
            if found and found.group(1) in ("schemas", "parameters", "headers"):
                name = found.group(2).replace("~1", "/").replace("~0", "~")
                return f'components["{found.group(1)}"][{json.dumps(name, ensure_ascii=False)}]'
            return self.schema(self._contract.deref(node), indent, depth + 1)
        nullable = self._is_30 and node.get("nullable") is True
        if "const" in node:
            return _literal(node["const"])
        enum = node.get("enum")
        if isinstance(enum, list) and enum:
            values = [_literal(v) for v in enum]
            if nullable or "null" in self._types(node):
                values.append("null")
            return _union(values)
        parts: list[str] = []
        core = self._core(node, indent, depth)
        composed = any(isinstance(node.get(k), list) for k in ("allOf", "anyOf", "oneOf"))
        if core and not (composed and core == "Record<string, never>"):
            parts.append(core)
        for keyword in ("oneOf", "anyOf"):
            members = node.get(keyword)
            if isinstance(members, list) and members:
                union = _union(self.schema(m, indent, depth + 1) for m in members)
                parts.append(_wrap(union) if parts else union)
        members = node.get("allOf")
        if isinstance(members, list) and members:
            parts.extend(_wrap(self.schema(m, indent, depth + 1)) for m in members)
        if not parts:
            text = "unknown"
        elif len(parts) == 1:
            text = parts[0]
        else:
            text = " & ".join(_wrap(p) for p in parts)
        if nullable and text != "unknown":
            text = f"{_wrap(text)} | null" if " & " in text else f"{text} | null"
        return text

    def _types(self, node: dict[str, Any]) -> list[str]:
        declared = node.get("type")
        if isinstance(declared, str):
            return [declared]
        if isinstance(declared, list):
            return [t for t in declared if isinstance(t, str)]
        return []

    def _core(self, node: dict[str, Any], indent: str, depth: int) -> str:
        types = self._types(node)
        if not types:
            if "properties" in node or "additionalProperties" in node:
                types = ["object"]
            elif "items" in node:
                types = ["array"]
            else:
                return ""
        rendered = []
        for kind in types:
            if kind == "object":
                rendered.append(self._object(node, indent, depth))
            elif kind == "array":
                item = self.schema(node.get("items", {}), indent, depth + 1)
                rendered.append(f"{_wrap(item)}[]")
            elif kind in ("integer", "number"):
                rendered.append("number")
            elif kind in ("string", "boolean", "null"):
                rendered.append(kind)
            else:
                rendered.append("unknown")
        return _union(rendered)

    def _object(self, node: dict[str, Any], indent: str, depth: int) -> str:
        properties = node.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = node.get("required")
        required_names = set(required) if isinstance(required, list) else set()
        additional = node.get("additionalProperties")
        inner = indent + "    "
        lines = []
        for name, schema in properties.items():
            mark = "" if name in required_names else "?"
            description = schema.get("description") if isinstance(schema, dict) else None
            lines.append(_comment(description, inner))
            rendered = self.schema(schema, inner, depth + 1)
            lines.append(f"{inner}{quote_key(str(name))}{mark}: {rendered};\n")
        if additional is True or (isinstance(additional, dict) and not additional):
            lines.append(f"{inner}[key: string]: unknown;\n")
        elif isinstance(additional, dict):
            value = self.schema(additional, inner, depth + 1) if not properties else "unknown"
            lines.append(f"{inner}[key: string]: {value};\n")
        if not lines:
            return "Record<string, never>"
        return "{\n" + "".join(lines) + indent + "}"

    # -- the document ------------------------------------------------------------------------

    def declarations(self) -> str:
        out = [
            "// The types of the contract, shaped as openapi-typescript shapes them.\n\n",
            "export interface paths {\n",
        ]
        for item in self._contract.paths:
            out.append(f"    {json.dumps(item.template)}: {{\n")
            shared = self._parameters(item.node.get("parameters"), "        ")
            out.append(f"        parameters: {shared};\n")
            for method in HTTP_METHODS:
                operation = next(
                    (
                        op
                        for op in self._contract.operations
                        if op.path is item and op.method == method
                    ),
                    None,
                )
                if operation is None or operation.operation_id is None:
                    out.append(f"        {method}?: never;\n")
                else:
                    out.append(_comment(operation.summary, "        "))
                    out.append(f'        {method}: operations["{operation.operation_id}"];\n')
            out.append("    };\n")
        out.append("}\n")
        out.append("export type webhooks = Record<string, never>;\n")
        out.append(self._components())
        out.append("export type $defs = Record<string, never>;\n")
        out.append("export interface operations {\n")
        for operation in self._contract.operations:
            if operation.operation_id is None:
                continue
            out.append(_comment(operation.summary, "    "))
            out.append(f"    {quote_key(operation.operation_id)}: {self.operation(operation)};\n")
        out.append("}\n")
        return "".join(out)

    def _components(self) -> str:
        out = ["export interface components {\n"]
        for kind in ("schemas", "responses", "parameters", "requestBodies", "headers", "pathItems"):
            section = self._contract.components(kind)
            if not section or kind == "pathItems":
                out.append(f"    {kind}: never;\n")
                continue
            out.append(f"    {kind}: {{\n")
            for name, node in section.items():
                target = self._contract.deref(node)
                description = target.get("description") if isinstance(target, dict) else None
                out.append(_comment(description, "        "))
                if kind == "schemas":
                    rendered = self.schema(node, "        ")
                elif kind == "responses":
                    rendered = self.response(node, "        ")
                elif kind == "requestBodies":
                    rendered = self.request_body(node, "        ")[1]
                else:
                    schema = target.get("schema", {}) if isinstance(target, dict) else {}
                    rendered = self.schema(schema, "        ")
                out.append(f"        {quote_key(str(name))}: {rendered};\n")
            out.append("    };\n")
        out.append("}\n")
        return "".join(out)

    # -- operations --------------------------------------------------------------------------

    def operation(self, operation: Operation) -> str:
        indent = "        "
        parameters = self._operation_parameters(operation, indent)
        required, body = self.request_body(operation.node.get("requestBody"), indent)
        body_line = f"requestBody{'' if required else '?'}: {body};"
        responses = [
            f"{indent}    {status if status.isdigit() else json.dumps(status)}: "
            f"{self.response(response, indent + '    ')};\n"
            for status, response in operation.responses.items()
        ]
        return (
            "{\n"
            f"{indent}parameters: {parameters};\n"
            f"{indent}{body_line}\n"
            f"{indent}responses: {{\n{''.join(responses)}{indent}}};\n"
            "    }"
        )

    def _operation_parameters(self, operation: Operation, indent: str) -> str:
        return self._parameter_block(
            [(p.name, p.location, p.required, p.schema, p.node) for p in operation.parameters],
            indent,
        )

    def _parameters(self, raw: Any, indent: str) -> str:
        found = []
        for entry in raw if isinstance(raw, list) else []:
            node = self._contract.deref(entry)
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                found.append(
                    (
                        node["name"],
                        str(node.get("in")),
                        node.get("required") is True,
                        node.get("schema"),
                        node,
                    )
                )
        return self._parameter_block(found, indent)

    def _parameter_block(self, params: list[tuple[str, str, bool, Any, Any]], indent: str) -> str:
        inner = indent + "    "
        lines = []
        for location in ("query", "header", "path", "cookie"):
            mine = [p for p in params if p[1] == location]
            if not mine:
                lines.append(f"{inner}{location}?: never;\n")
                continue
            mark = "" if any(p[2] for p in mine) else "?"
            fields = []
            for name, _, required, schema, node in mine:
                fields.append(_comment(node.get("description"), inner + "    "))
                rendered = self.schema(schema if schema is not None else {}, inner + "    ")
                fields.append(
                    f"{inner}    {quote_key(name)}{'' if required else '?'}: {rendered};\n"
                )
            lines.append(f"{inner}{location}{mark}: {{\n{''.join(fields)}{inner}}};\n")
        return "{\n" + "".join(lines) + indent + "}"

    def request_body(self, raw: Any, indent: str) -> tuple[bool, str]:
        """(required, type) of a request body; `never` when there is none."""
        node = self._contract.deref(raw)
        if not isinstance(node, dict):
            return False, "never"
        inner = indent + "    "
        content = f"{inner}content: {{\n{self._content(node, inner)}{inner}}};\n"
        return node.get("required") is True, "{\n" + content + indent + "}"

    def response(self, raw: Any, indent: str) -> str:
        node = self._contract.deref(raw)
        if not isinstance(node, dict):
            return "unknown"
        inner = indent + "    "
        headers = []
        declared = node.get("headers")
        for name, header in declared.items() if isinstance(declared, dict) else []:
            target = self._contract.deref(header)
            schema = target.get("schema", {}) if isinstance(target, dict) else {}
            rendered = self.schema(schema, inner + "    ")
            headers.append(f"{inner}    {quote_key(str(name))}: {rendered};\n")
        headers.append(f"{inner}    [name: string]: unknown;\n")
        content = node.get("content")
        if isinstance(content, dict) and content:
            body = f"{inner}content: {{\n{self._content(node, inner)}{inner}}};\n"
        else:
            body = f"{inner}content?: never;\n"
        return "{\n" + f"{inner}headers: {{\n{''.join(headers)}{inner}}};\n" + body + indent + "}"

    def _content(self, node: dict[str, Any], indent: str) -> str:
        content = node.get("content")
        lines = []
        for media_type, media in content.items() if isinstance(content, dict) else []:
            schema = media.get("schema") if isinstance(media, dict) else None
            rendered = self.schema(schema, indent + "    ") if schema is not None else "unknown"
            lines.append(f"{indent}    {json.dumps(str(media_type))}: {rendered};\n")
        if not lines:
            return f"{indent}    [media: string]: unknown;\n"
        return "".join(lines)
