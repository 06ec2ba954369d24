"""Answers from the contract alone: the status asked for, its example or a generated body.

    Prefer: code=409                 answer the operation's 409 (its first example)
    Prefer: example=token_expired    answer the named example of the chosen status
    Prefer: dynamic=true             generate from the schema even where an example exists

Without `Prefer`, the operation's lowest 2xx answers with its first example. A response
without an example gets a body generated from its schema (the same for the same seed); an
envelope so generated says `code: 0, msg: "ok"` on success and the service's code for the
status on errors.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from shopgen.contract import Contract, MediaType, Operation

from ._exchange import Code, MockResponse
from ._generate import ValueGenerator

__all__ = ["Preferences", "Responder", "UnknownPreference", "is_envelope"]

_PREFER_ITEM = re.compile(r"\s*([A-Za-z_-]+)\s*=\s*(\"[^\"]*\"|[^,;\s]+)")


@dataclass(frozen=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False

    @classmethod
    def parse(cls, header: str | None) -> Preferences:
        if not header:
            return cls()
        values = {m.group(1).lower(): m.group(2).strip('"') for m in _PREFER_ITEM.finditer(header)}
        code = values.get("code")
        return cls(
            code=int(code) if code is not None and code.isdigit() else None,
            example=values.get("example"),
            dynamic=values.get("dynamic", "").lower() == "true",
        )


class UnknownPreference(Exception):
    """`Prefer` named a status or an example the operation does not have."""


def is_envelope(contract: Contract, schema: Any) -> bool:
    properties, required, _ = contract.schema_view(schema)
    return {"code", "msg"} <= properties.keys() and "data" in (required | properties.keys())


class Responder:
    def __init__(self, contract: Contract, generator: ValueGenerator) -> None:
        self._contract = contract
        self._generator = generator

    # -- choosing ----------------------------------------------------------------------------

    def status_key(self, operation: Operation, code: int | None) -> str | None:
        """The response key that answers `code` (exact, then `4XX`, then `default`), or the
        lowest success when `code` is None."""
        responses = operation.responses
        if code is None:
            successes = sorted(k for k in responses if k[:1] == "2")
            if successes:
                return successes[0]
            return next(iter(responses), None)
        for key in (str(code), f"{str(code)[0]}XX", f"{str(code)[0]}xx", "default"):
            if key in responses:
                return key
        return None

    def media(self, operation: Operation, key: str) -> MediaType | None:
        media = operation.response_media(key)
        return next((m for m in media if m.is_json), media[0] if media else None)

    def data_schema(self, operation: Operation, key: str) -> Any:
        """The schema of `data` for an envelope response, else of the whole body."""
        chosen = self.media(operation, key)
        if chosen is None or chosen.schema is None:
            return None
        if not is_envelope(self._contract, chosen.schema):
            return chosen.schema
        found = [s for s in self._contract.property_schemas(chosen.schema, "data") if s]
        return found[-1] if found else None

    def example_names(self, operation: Operation, key: str) -> list[str]:
        chosen = self.media(operation, key)
        examples = chosen.node.get("examples") if chosen is not None else None
        return [str(name) for name in examples] if isinstance(examples, dict) else []

    def closest_example(self, operation: Operation, key: str, body: Any) -> str | None:
        """The named example whose data agrees with the request body on the most fields
        (`channel: mock` picks the `mock` example), or None to take the first."""
        names = self.example_names(operation, key)
        if len(names) < 2 or not isinstance(body, dict):
            return None
        media = self.media(operation, key)
        examples = media.node.get("examples", {}) if media is not None else {}
        best, score = None, 0
        for name in names:
            value = self._example_value(examples.get(name))
            data = value.get("data") if isinstance(value, dict) else None
            data = data if isinstance(data, dict) else value
            if not isinstance(data, dict):
                continue
            agreed = sum(1 for k, v in body.items() if data.get(k) == v)
            if agreed > score:
                best, score = name, agreed
        return best

    # -- answering ---------------------------------------------------------------------------

    def answer(
        self, operation: Operation, preferences: Preferences, *, status: int | None = None
    ) -> MockResponse:
        """The answer for `status` (or `Prefer: code`, or the lowest success)."""
        code = status if status is not None else preferences.code
        key = self.status_key(operation, code)
        if key is None:
            documented = ", ".join(operation.responses) or "nothing"
            raise UnknownPreference(
                f"{operation.name} has no {code} response; it answers {documented}"
            )
        http_status = code if code is not None else _status_of(key)
        body, note, raw = self.body(operation, key, http_status, preferences)
        chosen = self.media(operation, key)
        response = MockResponse(
            http_status,
            body,
            self.headers(operation, key),
            media_type=chosen.media_type if chosen is not None else "",
            note=note,
            raw=raw,
        )
        return response

    def body(
        self, operation: Operation, key: str, status: int, preferences: Preferences
    ) -> tuple[Any, str, bytes | None]:
        chosen = self.media(operation, key)
        if chosen is None:
            return None, "no content", None
        if not preferences.dynamic:
            found = self._example(chosen, preferences.example, operation, key)
            if found is not None:
                name, value = found
                if not chosen.is_json and isinstance(value, str):
                    return None, f"example {name}", value.encode()
                return copy.deepcopy(value), f"example {name}", None
        if chosen.schema is None:
            return None, "no schema", None
        where = f"{operation.name}:{key}:{chosen.media_type}"
        value = self._generator.generate(chosen.schema, where)
        if is_envelope(self._contract, chosen.schema) and isinstance(value, dict):
            ok = 200 <= status < 300
            value["code"] = 0 if ok else Code.for_status(status)
            value["msg"] = "ok" if ok else _phrase(status)
            if not ok and self._contract.schema_types(self._data_schema_of(chosen.schema)) & {
                "null"
            }:
                value["data"] = None
        return value, "generated", None

    def _data_schema_of(self, schema: Any) -> Any:
        found = [s for s in self._contract.property_schemas(schema, "data") if s]
        return found[-1] if found else {}

    def _example(
        self, media: MediaType, name: str | None, operation: Operation, key: str
    ) -> tuple[str, Any] | None:
        examples = media.node.get("examples")
        named = examples if isinstance(examples, dict) else {}
        if name is not None:
            if name not in named:
                known = ", ".join(named) or "none"
                raise UnknownPreference(
                    f"{operation.name} {key} has no example `{name}`; its examples: {known}"
                )
            return name, self._example_value(named[name])
        for example_name, example in named.items():
            value = self._example_value(example)
            if value is not None:
                return str(example_name), value
        if "example" in media.node:
            return "example", media.node["example"]
        schema = self._contract.deref(media.schema)
        if isinstance(schema, dict):
            if "example" in schema:
                return "schema example", schema["example"]
            listed = schema.get("examples")
            if isinstance(listed, list) and listed:
                return "schema example", listed[0]
        return None

    def _example_value(self, example: Any) -> Any:
        node = self._contract.deref(example)
        return node.get("value") if isinstance(node, dict) else None

    def headers(self, operation: Operation, key: str) -> dict[str, str]:
        response = self._contract.deref(operation.responses.get(key))
        declared = response.get("headers") if isinstance(response, dict) else None
        headers: dict[str, str] = {}
        for name, raw in (declared or {}).items():
            if str(name).lower() == "content-type":
                continue
            header = self._contract.deref(raw)
            if not isinstance(header, dict):
                continue
            if "example" in header:
                value = header["example"]
            else:
                value = self._generator.generate(
                    header.get("schema", {}), f"{operation.name}:{key}:header:{name}"
                )
            headers[str(name)] = _header_text(value)
        return headers


def _status_of(key: str) -> int:
    if key.isdigit():
        return int(key)
    if key[:1].isdigit():
        return int(key[0]) * 100
    return 500


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_header_text(v) for v in value)
    return str(value)
