"""The bundled contracts: valid OpenAPI 3.1, examples that match their schemas.

Generated services, docs pages and lint tests all start from these files, so an example that
contradicts its own schema would mislead every one of them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPECS = Path(__file__).resolve().parents[2] / "specs"
CANONICAL = SPECS / "shop.openapi.yaml"
COUPONS = SPECS / "examples" / "coupons.openapi.yaml"
CONTRACTS = sorted(SPECS.rglob("*.openapi.yaml"))

CANONICAL_OPERATION_IDS = (
    "listProducts",
    "getProduct",
    "createProduct",
    "replaceProduct",
    "updateProduct",
    "deleteProduct",
    "createOrder",
    "listOrders",
    "getOrder",
    "cancelOrder",
    "createPayment",
    "getPayment",
    "receiveWechatPayNotification",
    "registerUser",
    "createToken",
    "createWechatSession",
    "refreshToken",
    "getCurrentUser",
    "receiveShopifyWebhook",
    "getHealth",
    "listProductVariants",
    "createProductVariant",
    "updateProductVariant",
    "deleteProductVariant",
    "exportOrders",
    "createRefund",
    "listRefunds",
    "getRefund",
    "receiveWechatPayRefundNotification",
    "createShipment",
    "listShipments",
    "confirmReceipt",
    "listAddresses",
    "createAddress",
    "updateAddress",
    "deleteAddress",
)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Keywords whose value is one subschema, or a list or map of them (JSON Schema 2020-12).
_SUBSCHEMA = ("additionalProperties", "items", "not", "if", "then", "else", "contains")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")

_BASE_URI = "urn:shopgen:contract"

Json = dict[str, Any]


@functools.cache
def load(path: Path) -> Json:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path} is not a mapping"
    return document


def _pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _resolve(document: Json, node: Any) -> Any:
    """Follow local `$ref`s (`#/...`) until a node without one."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        assert ref.startswith("#/"), f"unexpected non-local $ref {ref!r}"
        assert ref not in seen, f"$ref cycle through {ref!r}"
        seen.add(ref)
        node = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _schema_examples(schema: Any, at: str) -> Iterator[tuple[str, Any, str]]:
    """`example`/`examples` inside a schema and every subschema it holds."""
    if not isinstance(schema, Mapping):
        return
    if "example" in schema:
        yield f"{at}/example", schema["example"], at
    for i, value in enumerate(schema.get("examples", ())):
        yield f"{at}/examples/{i}", value, at
    for key in _SUBSCHEMA:
        if key in schema:
            yield from _schema_examples(schema[key], f"{at}{_pointer(key)}")
    for key in _SUBSCHEMA_LISTS:
        for i, sub in enumerate(schema.get(key, ())):
            yield from _schema_examples(sub, f"{at}{_pointer(key, str(i))}")
    for key in _SUBSCHEMA_MAPS:
        for name, sub in schema.get(key, {}).items():
            yield from _schema_examples(sub, f"{at}{_pointer(key, name)}")


def _value_examples(document: Json, node: Mapping[str, Any], at: str) -> Iterator[tuple[str, Any]]:
    """`example` and `examples[*].value` of a media type, parameter or header."""
    if "example" in node:
        yield f"{at}/example", node["example"]
    for name, example in node.get("examples", {}).items():
        example = _resolve(document, example)
        if "value" in example:
            yield f"{at}{_pointer('examples', name, 'value')}", example["value"]


def _content_examples(document: Json, content: Any, at: str) -> Iterator[tuple[str, Any, str]]:
    for media_type, media in (content or {}).items():
        media_at = f"{at}{_pointer('content', media_type)}"
        if "schema" not in media:
            continue
        schema_at = f"{media_at}/schema"
        for where, value in _value_examples(document, media, media_at):
            yield where, value, schema_at
        yield from _schema_examples(media["schema"], schema_at)


def _parameter_examples(document: Json, parameter: Any, at: str) -> Iterator[tuple[str, Any, str]]:
    """Parameters and headers share this shape: `schema` plus examples, or `content`."""
    if "$ref" in parameter:
        return  # checked where it is defined, under components
    if "schema" in parameter:
        for where, value in _value_examples(document, parameter, at):
            yield where, value, f"{at}/schema"
        yield from _schema_examples(parameter["schema"], f"{at}/schema")
    yield from _content_examples(document, parameter.get("content"), at)


def _response_examples(document: Json, response: Any, at: str) -> Iterator[tuple[str, Any, str]]:
    if "$ref" in response:
        return
    for name, header in response.get("headers", {}).items():
        yield from _parameter_examples(document, header, f"{at}{_pointer('headers', name)}")
    yield from _content_examples(document, response.get("content"), at)


def _operation_examples(document: Json, operation: Any, at: str) -> Iterator[tuple[str, Any, str]]:
    for i, parameter in enumerate(operation.get("parameters", ())):
        yield from _parameter_examples(document, parameter, f"{at}/parameters/{i}")
    body = operation.get("requestBody")
    if body and "$ref" not in body:
        yield from _content_examples(document, body.get("content"), f"{at}/requestBody")
    for status, response in operation.get("responses", {}).items():
        yield from _response_examples(document, response, f"{at}{_pointer('responses', status)}")


def iter_examples(document: Json) -> Iterator[tuple[str, Any, str]]:
    """Yield (pointer of the example, its value, pointer of the schema it must match)."""
    for path, item in document.get("paths", {}).items():
        item_at = _pointer("paths", path)
        yield from _operation_examples(
            document, {"parameters": item.get("parameters", [])}, item_at
        )
        for method in HTTP_METHODS:
            if method in item:
                yield from _operation_examples(document, item[method], f"{item_at}/{method}")
    components = document.get("components", {})
    for name, schema in components.get("schemas", {}).items():
        yield from _schema_examples(schema, _pointer("components", "schemas", name))
    for kind in ("parameters", "headers"):
        for name, parameter in components.get(kind, {}).items():
            yield from _parameter_examples(document, parameter, _pointer("components", kind, name))
    for name, body in components.get("requestBodies", {}).items():
        at = _pointer("components", "requestBodies", name)
        yield from _content_examples(document, body.get("content"), at)
    for name, response in components.get("responses", {}).items():
        at = _pointer("components", "responses", name)
        yield from _response_examples(document, response, at)


def iter_operations(document: Json) -> Iterator[tuple[str, str, Json]]:
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _example_errors(document: Json) -> list[str]:
    registry = Registry().with_resource(
        _BASE_URI, Resource(contents=document, specification=DRAFT202012)
    )
    errors = []
    for where, value, schema_at in iter_examples(document):
        validator = Draft202012Validator(
            {"$ref": f"{_BASE_URI}#{quote(schema_at, safe='/~')}"},
            registry=registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        for error in validator.iter_errors(value):
            inside = "/".join(str(part) for part in error.absolute_path)
            errors.append(f"{where} [{inside}]: {error.message}")
    return errors


def _contract_id(path: Path) -> str:
    return path.relative_to(SPECS).as_posix()


contracts = pytest.mark.parametrize("path", CONTRACTS, ids=_contract_id)


def test_contracts_are_found() -> None:
    assert CANONICAL in CONTRACTS
    assert COUPONS in CONTRACTS


@contracts
def test_contract_is_valid_openapi(path: Path) -> None:
    document = load(path)
    assert document["openapi"].startswith("3.1.")
    validate(document, base_uri=path.as_uri())


@contracts
def test_examples_match_their_schemas(path: Path) -> None:
    document = load(path)
    assert list(iter_examples(document)), "the walk found no example at all"
    assert _example_errors(document) == []


@contracts
def test_every_body_and_response_has_an_example(path: Path) -> None:
    document = load(path)
    missing = []
    for route, method, operation in iter_operations(document):
        bodies = {"request body": _resolve(document, operation.get("requestBody", {}))}
        for status, response in operation["responses"].items():
            bodies[f"response {status}"] = _resolve(document, response)
        for what, body in bodies.items():
            for media_type, media in body.get("content", {}).items():
                if "example" not in media and not media.get("examples"):
                    missing.append(f"{method.upper()} {route} {what} {media_type}")
    assert missing == []


def test_canonical_contract_has_every_canonical_operation() -> None:
    found = {operation.get("operationId") for _, _, operation in iter_operations(load(CANONICAL))}
    assert sorted(set(CANONICAL_OPERATION_IDS) - found) == []


def test_coupons_example_extends_the_canonical_operations() -> None:
    canonical = {op["operationId"] for _, _, op in iter_operations(load(CANONICAL))}
    coupons = {op["operationId"] for _, _, op in iter_operations(load(COUPONS))}
    assert sorted(canonical - coupons) == []
    assert {"createCoupon", "applyCoupon", "listCouponUsages"} <= coupons


def test_example_walk_catches_a_wrong_example() -> None:
    document = yaml.safe_load(
        """
        openapi: 3.1.0
        info: {title: t, version: '1'}
        paths:
          /api/v1/things:
            get:
              parameters:
                - {name: limit, in: query, schema: {type: integer, maximum: 100}, example: 500}
              responses:
                '200':
                  description: ok
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Thing'}
                      examples:
                        bad: {value: {price_cents: '12.50'}}
        components:
          schemas:
            Thing:
              type: object
              properties:
                price_cents: {type: integer, example: 1.5}
                created_at: {type: string, format: date-time}
              example: {created_at: yesterday}
        """
    )
    errors = _example_errors(document)
    assert len(errors) == 4, errors
