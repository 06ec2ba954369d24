from collections.abc import Callable
from typing import Any

import httpx

from tests import payloads
from tests.markers import requires

pytestmark = requires(
    "listProducts",
    "createProduct",
    "getProduct",
    "replaceProduct",
    "updateProduct",
    "deleteProduct",
)
PRODUCTS = "/api/v1/products"


async def test_admin_creates_and_anyone_reads(
    client: httpx.AsyncClient, make_product: Callable[..., Any]
) -> None:
    product = await make_product(sku="TEA-LJ-250", images=["https://cdn.example.com/a.jpg"])
    assert product["status"] == "active"
    assert product["images"] == ["https://cdn.example.com/a.jpg"]

    response = await client.get(f"{PRODUCTS}/{product['id']}")
    assert response.status_code == 200
    assert response.json() == {"code": 0, "data": product, "msg": "ok"}


async def test_new_product_defaults_to_draft_hidden_from_customers(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    body = {"sku": "D-1", "title": "Draft", "price_cents": 100, "currency": "USD"}
    body |= payloads.CREATE_PRODUCT
    response = await client.post(PRODUCTS, json=body, headers=admin_headers)
    assert response.status_code == 201
    product = response.json()["data"]
    assert (product["status"], product["stock"]) == ("draft", 0)

    assert (await client.get(f"{PRODUCTS}/{product['id']}")).status_code == 404
    seen = await client.get(f"{PRODUCTS}/{product['id']}", headers=admin_headers)
    assert seen.status_code == 200
    assert (await client.get(PRODUCTS)).json()["data"]["total"] == 0
    assert (await client.get(PRODUCTS, headers=admin_headers)).json()["data"]["total"] == 1


async def test_list_filters_sorts_and_pages(
    client: httpx.AsyncClient, make_product: Callable[..., Any]
) -> None:
    await make_product(sku="A", title="Green tea", price_cents=500, category="tea", stock=0)
    await make_product(sku="B", title="Black tea", price_cents=900, category="tea")
    await make_product(sku="C", title="Mug", price_cents=1500, category="kitchen")

    def titles(response: httpx.Response) -> list[str]:
        return [item["title"] for item in response.json()["data"]["items"]]

    by_price = await client.get(PRODUCTS, params={"sort": "price_cents"})
    assert titles(by_price) == ["Green tea", "Black tea", "Mug"]
    tea = await client.get(PRODUCTS, params={"category": "tea", "sort": "-price_cents"})
    assert titles(tea) == ["Black tea", "Green tea"]
    assert titles(await client.get(PRODUCTS, params={"q": "BLACK"})) == ["Black tea"]
    assert titles(await client.get(PRODUCTS, params={"in_stock": "false"})) == ["Green tea"]
    priced = await client.get(PRODUCTS, params={"min_price_cents": 600, "max_price_cents": 1000})
    assert titles(priced) == ["Black tea"]

    page = (await client.get(PRODUCTS, params={"limit": 2, "page": 2, "sort": "title"})).json()
    assert page["data"] == {**page["data"], "total": 3, "page": 2, "limit": 2}
    assert [i["title"] for i in page["data"]["items"]] == ["Mug"]
    past_end = await client.get(PRODUCTS, params={"page": 9})
    assert past_end.json()["data"]["items"] == []


async def test_writes_need_an_admin(
    client: httpx.AsyncClient, customer_headers: dict[str, str], make_product: Callable[..., Any]
) -> None:
    product = await make_product()
    body = {"sku": "X", "title": "X", "price_cents": 1, "currency": "USD"}
    body |= payloads.CREATE_PRODUCT
    anonymous = await client.post(PRODUCTS, json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == 40101
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    forbidden = await client.patch(
        f"{PRODUCTS}/{product['id']}", json={"title": "Y"}, headers=customer_headers
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == 40301


async def test_patch_put_and_cache_invalidation(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_product: Callable[..., Any]
) -> None:
    product = await make_product()
    url = f"{PRODUCTS}/{product['id']}"
    assert (await client.get(url)).json()["data"]["title"] == "Longjing tea"

    patched = await client.patch(url, json={"title": "Longjing"}, headers=admin_headers)
    assert patched.status_code == 200
    assert patched.json()["data"]["price_cents"] == 16800
    assert (await client.get(url)).json()["data"]["title"] == "Longjing"

    full = {
        "sku": "TEA-1",
        "title": "Replaced",
        "description": "",
        "price_cents": 100,
        "currency": "CNY",
        "stock": 1,
        "status": "active",
        "category": None,
        "images": [],
        **payloads.REPLACE_PRODUCT,
    }
    replaced = await client.put(url, json=full, headers=admin_headers)
    assert replaced.status_code == 200, replaced.text
    assert (await client.get(url)).json()["data"]["title"] == "Replaced"
    partial = await client.put(url, json={"title": "Only title"}, headers=admin_headers)
    assert partial.status_code == 422


async def test_delete_is_soft_and_frees_the_sku(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_product: Callable[..., Any]
) -> None:
    product = await make_product(sku="SKU-1")
    url = f"{PRODUCTS}/{product['id']}"
    assert (await client.get(url)).status_code == 200
    deleted = await client.delete(url, headers=admin_headers)
    assert deleted.status_code == 200
    assert deleted.json() == {"code": 0, "data": None, "msg": "ok"}
    missing = await client.get(url)
    assert missing.status_code == 404
    assert missing.json()["code"] == 40401
    assert (await client.delete(url, headers=admin_headers)).status_code == 404
    await make_product(sku="SKU-1")


async def test_duplicate_sku_is_409(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_product: Callable[..., Any]
) -> None:
    await make_product(sku="DUP")
    body = {"sku": "DUP", "title": "Again", "price_cents": 1, "currency": "USD"}
    body |= payloads.CREATE_PRODUCT
    response = await client.post(PRODUCTS, json=body, headers=admin_headers)
    assert response.status_code == 409
    assert response.json()["code"] == 40904


async def test_create_validates_the_body(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    body = {"sku": "X", "title": "X", "price_cents": -1, "currency": "usd"}
    body |= payloads.CREATE_PRODUCT
    response = await client.post(PRODUCTS, json=body, headers=admin_headers)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["data"]["errors"]}
    assert fields == {"price_cents", "currency"}
