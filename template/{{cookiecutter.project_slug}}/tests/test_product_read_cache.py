"""Anonymous product reads come from memory until something changes a product."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.products.models import Product
from tests.markers import requires

pytestmark = requires("listProducts", "getProduct", "createOrder")


async def _rename_behind_the_apps_back(app: FastAPI, product_id: int, title: str) -> None:
    async with app.state.sessionmaker() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(title=title))
        await session.commit()


async def test_anonymous_reads_are_answered_from_memory_until_a_write(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(title="Longjing")
    url = f"/api/v1/products/{product['id']}"
    first = await client.get(url)
    await _rename_behind_the_apps_back(app, product["id"], "Renamed in SQL")
    again = await client.get(url)
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"

    # A token skips the cache: admins may see what anonymous visitors may not.
    fresh = await client.get(url, headers=admin_headers)
    assert fresh.json()["data"]["title"] == "Renamed in SQL"

    # A write through the API clears every cached answer.
    await client.patch(url, json={"description": "Spring harvest"}, headers=admin_headers)
    after = await client.get(url)
    assert after.json()["data"]["title"] == "Renamed in SQL"
    assert after.json()["data"]["description"] == "Spring harvest"


async def test_an_order_clears_the_stock_shown_in_lists(
    client: httpx.AsyncClient,
    customer_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=5)
    listed = await client.get("/api/v1/products")
    assert listed.json()["data"]["items"][0]["stock"] == 5
    order = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": 2}]},
        headers={**customer_headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 201
    listed = await client.get("/api/v1/products")
    assert listed.json()["data"]["items"][0]["stock"] == 3


async def test_only_complete_successes_are_kept(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/products/999999")
    assert missing.status_code == 404
    bad = await client.get("/api/v1/products", params={"limit": 0})
    assert bad.status_code == 422
    assert (await client.get("/api/v1/products/999999")).status_code == 404
