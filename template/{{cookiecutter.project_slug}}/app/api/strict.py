"""Requests read strictly: JSON as RFC 8259 has it, bodies as the contract's schema has them,
and no NUL character anywhere.

Python's `json.loads` keeps the last of two equal keys and takes `NaN` and `Infinity`: a body
that means one thing to a proxy or a signature check and another here. PostgreSQL cannot store
a NUL in text, nor can half a UTF-16 surrogate pair be encoded, so either reaching SQL would be
a 500. So a body with a duplicate key, a non-finite number, a NUL or a lone surrogate is
malformed (400, 40001), and a NUL in a parameter is invalid (422, 42201), before the handler
runs.

The generated models cannot say everything a JSON Schema says (a property that may be left
out but not sent as null, say), so a JSON body is first checked against the contract's own
schema for it (OpenAPI 3.1's schemas are JSON Schema 2020-12; 3.0's are its own dialect of
draft 4, with `nullable`, which openapi-schema-validator reads); what fails is a 422 naming the
field, raised once the route's dependencies have run, so a caller without credentials hears
401 before hearing what is wrong with the body. Operations that check a signature over the
raw body are left to do that first.
"""

import functools
import inspect
import json
import re
from collections.abc import Callable, Coroutine, Mapping
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30Validator

from app.api.contract import read_contract

# Set on the routes of operations that read their raw body to check a signature first.
RAW_BODY_MARK = "x-shopgen-raw-body"
# Set on a request's scope by a middleware that read its body and found the contract takes
# it (`app.orders.early_refusal`): the route does not check it again.
BODY_CHECKED = "shop.body_checked_against_contract"
# What the contract found wrong with the body of the request being handled.
_contract_errors_found: ContextVar[tuple[dict[str, Any], ...]] = ContextVar(
    "contract_errors_found", default=()
)

NUL = "\x00"
SURROGATE = re.compile("[\ud800-\udfff]")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"Duplicate key {key!r}")
        found[key] = value
    return found


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unstorable(text: str) -> bool:
    """A NUL, or half of a UTF-16 surrogate pair (`"\\ud800"` alone): JSON can spell both,
    and neither can be stored as text or encoded as UTF-8."""
    return NUL in text or SURROGATE.search(text) is not None


def _has_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _unstorable(value)
    if isinstance(value, dict):
        return any(_unstorable(key) or _has_unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_unstorable(item) for item in value)
    return False


def loads(body: bytes) -> Any:
    """`json.loads`, refusing what RFC 8259 leaves undefined; `json.JSONDecodeError` (which
    FastAPI turns into a `json_invalid` error) for anything malformed."""
    document = body.decode("utf-8", "replace")
    try:
        value = json.loads(body, object_pairs_hook=_unique_keys, parse_constant=_not_a_number)
    except json.JSONDecodeError:
        raise
    except ValueError as error:  # a duplicate key, NaN, or bytes that are not UTF-8
        raise json.JSONDecodeError(str(error), document, 0) from None
    if _has_unstorable(value):
        raise json.JSONDecodeError("NUL character or lone surrogate in a string", document, 0)
    return value


@lru_cache(maxsize=1)
def _contract() -> Mapping[str, Any]:
    document: Mapping[str, Any] = json.loads(read_contract())
    return document


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _pointed(document: Mapping[str, Any], pointer: str) -> Any:
    node: Any = document
    for part in pointer.removeprefix("#/").split("/"):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part.replace("~1", "/").replace("~0", "~"))
    return node


# Keywords whose values are data, not schemas: a `$ref` inside one is a value like any other.
_DATA_KEYWORDS = frozenset({"const", "default", "enum", "example", "examples"})


def _inlined(
    node: Any, document: Mapping[str, Any], siblings_apply: bool, trail: tuple[str, ...] = ()
) -> Any:
    """`node` with each local `$ref` replaced by the schema it names, so that checking a body
    follows no reference: looking one up costs more than the rest of the check. A reference
    back into its own trail (a recursive schema) stays, resolved against the contract.
    Beside a `$ref`, OpenAPI 3.1 applies the other keywords too; 3.0 ignores them."""
    if isinstance(node, list):
        return [_inlined(item, document, siblings_apply, trail) for item in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in trail:
        target = _pointed(document, ref)
        if target is not None:
            inlined = _inlined(target, document, siblings_apply, (*trail, ref))
            others = {key: value for key, value in node.items() if key != "$ref"}
            if not siblings_apply or not others:
                return inlined
            kept = _inlined(others, document, siblings_apply, trail)
            return {**kept, "allOf": [*kept.get("allOf", []), inlined]}
    return {
        key: value if key in _DATA_KEYWORDS else _inlined(value, document, siblings_apply, trail)
        for key, value in node.items()
    }


def body_validator(path: str, method: str) -> Validator | None:
    """A validator of the operation's JSON request body against the contract, if it has one."""
    document = _contract()
    version = str(document.get("openapi", ""))
    # openapi-schema-validator's 3.0 validator reads `nullable`, and requires no `readOnly`
    # property of a request.
    dialect: type[Validator] | None = (
        Draft202012Validator
        if version.startswith("3.1")
        else OAS30Validator
        if version.startswith("3.0")
        else None
    )
    if dialect is None:
        return None
    pointer = f"#/paths/{_escape(path)}/{method.lower()}/requestBody"
    node: Any = document.get("paths", {}).get(path, {}).get(method.lower(), {}).get("requestBody")
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        pointer = node["$ref"]
        node = _pointed(document, pointer)
    content = node.get("content", {}) if isinstance(node, Mapping) else {}
    for media in content:
        base = media.split(";", 1)[0].strip().lower()
        if (base == "application/json" or base.endswith("+json")) and "schema" in content[media]:
            schema = {"$ref": f"{pointer}/content/{_escape(media)}/schema"}
            inlined = _inlined(schema, document, siblings_apply=dialect is Draft202012Validator)
            if not isinstance(inlined, Mapping):
                return dialect(inlined)
            # The contract stays at the root, so a recursive schema's own refs resolve; its
            # members are keywords JSON Schema ignores.
            return dialect({**document, **inlined})
    return None


def _contract_errors(validator: Validator, body: Any) -> list[dict[str, Any]]:
    found = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path))):
        loc: tuple[Any, ...] = ("body", *error.absolute_path)
        kind = str(error.validator)
        required = error.validator_value if kind == "required" else None
        if isinstance(required, list) and isinstance(error.instance, Mapping):
            # Name the missing property itself, as a field error should.
            missing = [name for name in required if name not in error.instance]
            named = [name for name in missing if repr(name) in error.message]
            loc, kind = (*loc, *named[:1]), "missing"
        found.append({"type": kind, "loc": loc, "msg": error.message, "input": error.instance})
    return found


def refused_by_contract(validator: Validator, body: Any) -> bool:
    """Whether the contract refuses `body`, without listing why."""
    return next(iter(validator.iter_errors(body)), None) is not None


class StrictRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


def _nul_errors(request: Request) -> list[dict[str, Any]]:
    places = (("query", request.query_params.multi_items()), ("path", request.path_params.items()))
    return [
        {
            "type": "string_nul",
            "loc": (where, name),
            "msg": "NUL characters are not allowed",
            "input": value,
        }
        for where, items in places
        for name, value in items
        if NUL in name or NUL in str(value)
    ]


def _is_json(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class ContractRoute(APIRoute):
    """The route class of every contract operation: strict JSON, bodies checked against the
    contract, no NUL in parameters."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        validator = None
        if not (self.openapi_extra or {}).get(RAW_BODY_MARK):
            methods = self.methods or set()
            validator = next(
                (v for method in methods if (v := body_validator(self.path, method))), None
            )

        async def handle_strictly(request: Request) -> Response:
            errors = _nul_errors(request)
            if errors:
                raise RequestValidationError(errors)
            strict = StrictRequest(request.scope, request.receive)
            check = None if request.scope.get(BODY_CHECKED) else validator
            if check is not None and _is_json(request) and await strict.body():
                try:
                    body = await strict.json()
                except json.JSONDecodeError as error:
                    malformed = {
                        "type": "json_invalid",
                        "loc": ("body", error.pos),
                        "msg": "JSON decode error",
                        "input": {},
                        "ctx": {"error": error.msg},
                    }
                    raise RequestValidationError([malformed]) from None
                errors = _contract_errors(check, body)
            found = _contract_errors_found.set(tuple(errors))
            try:
                return await handle(strict)
            finally:
                _contract_errors_found.reset(found)

        return handle_strictly


def _refuse_what_the_contract_refused() -> None:
    errors = _contract_errors_found.get()
    if errors:
        raise RequestValidationError(list(errors))


def checked(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler`, first refusing a body the contract refused (see `ContractRoute`)."""
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def check_then_handle(*args: Any, **kwargs: Any) -> Any:
            _refuse_what_the_contract_refused()
            return await handler(*args, **kwargs)

        return check_then_handle

    @functools.wraps(handler)
    def check_then_handle_sync(*args: Any, **kwargs: Any) -> Any:
        _refuse_what_the_contract_refused()
        return handler(*args, **kwargs)

    return check_then_handle_sync
