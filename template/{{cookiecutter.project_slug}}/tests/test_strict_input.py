"""Input is read as the contract says: JSON as written, integers as integers, values within
what their format and the database can hold, no NUL characters."""

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.api import strict
from tests import payloads
from tests.markers import requires

Headers = dict[str, str]
BIG = 2**63
JSON = {"Content-Type": "application/json"}


@requires("createProduct")
async def test_malformed_json_and_duplicate_keys_are_400(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    bodies = {
        b"{not json": "Expecting property name enclosed in double quotes",
        b'{"sku": "A-1", "sku": "B-2"}': "Duplicate key 'sku'",
        b'{"price_cents": NaN}': "NaN is not a JSON number",
        b'{"sku": "A\\u0000"}': "NUL character or lone surrogate",
        b'{"title": "\\ud913"}': "NUL character or lone surrogate",
        b'{"sku": "truncated': "Unterminated string starting at",
    }
    for body, reason in bodies.items():
        response = await client.post(
            "/api/v1/products", content=body, headers={**admin_headers, **JSON}
        )
        assert response.status_code == 400, body
        answer = response.json()
        assert answer["code"] == 40001, body
        assert answer["msg"] == "Malformed JSON"
        assert answer["data"]["errors"][0]["message"].startswith(reason), body


@requires("createOrder")
async def test_integers_are_integers(
    client: httpx.AsyncClient, customer_headers: Headers, make_product: Callable[..., Any]
) -> None:
    product = await make_product(stock=10)
    for quantity in (True, "1", 1.0, 1.5):
        body = {"items": [{"product_id": product["id"], "quantity": quantity}]}
        response = await client.post(
            "/api/v1/orders",
            json={**body, **payloads.CREATE_ORDER},
            headers={**customer_headers, "Idempotency-Key": f"strict-{quantity!r}"},
        )
        assert response.status_code == 422, quantity
        assert response.json()["data"]["errors"][0]["field"] == "items.0.quantity"


@requires("getProduct", "listProducts", "createProduct", "createOrder")
async def test_values_past_int64_are_422_not_a_database_error(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=10)
    assert (await client.get(f"/api/v1/products/{BIG}")).status_code == 422
    assert (await client.get(f"/api/v1/products/{BIG - 1}")).status_code == 404
    listed = await client.get("/api/v1/products", params={"min_price_cents": BIG})
    assert listed.status_code == 422
    assert listed.json()["data"]["errors"][0]["field"] == "query.min_price_cents"
    body = {"sku": "BIG-1", "title": "Big", "price_cents": BIG, "currency": "CNY"}
    created = await client.post(
        "/api/v1/products", json={**body, **payloads.CREATE_PRODUCT}, headers=admin_headers
    )
    assert created.status_code == 422
    order = {"items": [{"product_id": BIG, "quantity": 1}], **payloads.CREATE_ORDER}
    placed = await client.post(
        "/api/v1/orders", json=order, headers={**customer_headers, "Idempotency-Key": "big-id-1"}
    )
    assert placed.status_code == 422
    assert product["id"] < BIG


@requires("createProduct", "createOrder")
async def test_an_order_total_past_int64_is_422(
    client: httpx.AsyncClient, customer_headers: Headers, make_product: Callable[..., Any]
) -> None:
    product = await make_product(price_cents=2**62, stock=10)
    order = {"items": [{"product_id": product["id"], "quantity": 2}], **payloads.CREATE_ORDER}
    placed = await client.post(
        "/api/v1/orders",
        json=order,
        headers={**customer_headers, "Idempotency-Key": "huge-total-1"},
    )
    assert placed.status_code == 422
    assert placed.json()["data"]["errors"][0]["type"] == "total_too_large"


@requires("listProducts")
async def test_a_page_past_any_offset_is_empty(
    client: httpx.AsyncClient, make_product: Callable[..., Any]
) -> None:
    await make_product()
    response = await client.get("/api/v1/products", params={"page": 2**62, "limit": 100})
    assert response.status_code == 200
    assert response.json()["data"]["items"] == []
    assert response.json()["data"]["total"] == 1


@requires("listProducts")
async def test_a_nul_in_a_parameter_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/products", params={"q": "tea\x00"})
    assert response.status_code == 422
    assert response.json()["data"]["errors"][0]["field"] == "query.q"


@requires("createProduct")
async def test_images_must_be_uris(client: httpx.AsyncClient, admin_headers: Headers) -> None:
    body = {"sku": "URI-1", "title": "Cup", "price_cents": 100, "currency": "CNY"}
    for images in ([""], ["not a uri"], ["//no-scheme"]):
        response = await client.post(
            "/api/v1/products",
            json={**body, "images": images, **payloads.CREATE_PRODUCT},
            headers=admin_headers,
        )
        assert response.status_code == 422, images
    fine = ["https://cdn.example.com/p/1.jpg"]
    response = await client.post(
        "/api/v1/products",
        json={**body, "images": fine, **payloads.CREATE_PRODUCT},
        headers=admin_headers,
    )
    assert response.status_code == 201
    assert response.json()["data"]["images"] == fine


@requires("createProduct", "getProduct")
async def test_int64_values_fit_every_database(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    """A stock or a price past 2^31 is valid input: PostgreSQL's INTEGER would refuse it."""
    body = {"sku": "WIDE-1", "title": "Bulk", "price_cents": 2**40, "currency": "CNY"}
    created = await client.post(
        "/api/v1/products",
        json={**body, "stock": 2**31, **payloads.CREATE_PRODUCT},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    read = await client.get(
        f"/api/v1/products/{created.json()['data']['id']}", headers=admin_headers
    )
    assert read.json()["data"]["stock"] == 2**31


@requires("createProduct")
async def test_null_where_the_contract_allows_none_is_422_after_authentication(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    body = {"sku": "NULL-1", "title": "Cup", "price_cents": 100, "currency": "CNY"}
    body |= {"images": None, **payloads.CREATE_PRODUCT}
    anonymous = await client.post("/api/v1/products", json=body)
    assert anonymous.status_code == 401
    refused = await client.post("/api/v1/products", json=body, headers=admin_headers)
    assert refused.status_code == 422
    assert refused.json()["data"]["errors"][0]["field"] == "images"


def test_an_openapi_3_0_contract_checks_bodies_in_its_own_dialect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A project made from a 3.0 contract checks bodies too: `nullable` allows null, other
    properties refuse it, `readOnly` ones are not required of a request."""
    note = {"type": "object", "required": ["id", "text"], "additionalProperties": False}
    note["properties"] = {
        "id": {"type": "integer", "format": "int64", "readOnly": True},
        "text": {"type": "string"},
        "pinned_until": {"type": "string", "format": "date-time", "nullable": True},
        "colour": {"type": "string"},
    }
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Note"}}}}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Notes", "version": "1"},
        "paths": {"/notes": {"post": {"requestBody": body, "responses": {}}}},
        "components": {"schemas": {"Note": note}},
    }
    monkeypatch.setattr(strict, "_contract", lambda: document)

    validator = strict.body_validator("/notes", "POST")
    assert validator is not None

    def refused(sent: dict[str, Any]) -> set[tuple[Any, ...]]:
        return {error["loc"] for error in strict._contract_errors(validator, sent)}

    assert refused({"text": "Call back", "pinned_until": None}) == set()
    assert refused({"text": "Call back", "colour": None}) == {("body", "colour")}
    assert refused({"pinned_until": None}) == {("body", "text")}
    assert refused({"text": "Call back", "stars": 5}) == {("body",)}

    monkeypatch.setattr(strict, "_contract", lambda: {**document, "openapi": "2.0"})
    assert strict.body_validator("/notes", "POST") is None


def test_a_body_is_checked_without_following_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """References are inlined once: a recursive schema still checks every level, a property
    named `$ref` and a `$ref` inside an example stay what they are, and in 3.1 the keywords
    beside a `$ref` apply as well."""
    node = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"$ref": "#/components/schemas/Name", "maxLength": 5},
            "$ref": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        },
        "example": {"$ref": "#/components/schemas/Missing"},
    }
    schemas = {"Node": node, "Name": {"type": "string", "minLength": 2}}
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Trees", "version": "1"},
        "paths": {"/nodes": {"post": {"requestBody": body, "responses": {}}}},
        "components": {"schemas": schemas},
    }
    monkeypatch.setattr(strict, "_contract", lambda: document)
    validator = strict.body_validator("/nodes", "POST")
    assert validator is not None and isinstance(validator.schema, dict)
    assert "Node" not in json.dumps(validator.schema["properties"]["name"])

    def refused(sent: dict[str, Any]) -> set[tuple[Any, ...]]:
        return {error["loc"] for error in strict._contract_errors(validator, sent)}

    deep = {"name": "ab", "children": [{"name": "cd", "children": [{"name": "x"}]}]}
    assert refused(deep) == {("body", "children", 0, "children", 0, "name")}
    assert refused({"name": "abcdef"}) == {("body", "name")}  # maxLength beside the $ref
    assert refused({"name": "ab", "$ref": 7}) == {("body", "$ref")}
    assert refused({"name": "ab", "$ref": "#/x", "children": []}) == set()
