"""Public product reads come from memory until something changes a product, in this
process or, through Redis, in another."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.auth.models import User
from app.core.config import Settings
from app.main import create_app
from app.products.models import Product
from tests import payloads
from tests.markers import requires
from tests.redis_server import fresh_redis_url

# A write in one process shows in the others within this long.
COHERENCE_SECONDS = 0.1

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

    # An admin's token skips the cache: admins may see what anonymous visitors may not.
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


async def test_a_due_answer_is_given_at_once_and_read_again_behind_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    """Late in its life a kept answer is still given to whoever asks, and the same read is
    made again in the background, from the database (not the model cache), to replace it."""
    product = await make_product(title="Longjing")
    url = f"/api/v1/products/{product['id']}"
    cache = app.state.product_cache
    now = [time.monotonic()]
    cache.clock = lambda: now[0]
    first = await client.get(url, headers=customer_headers)
    await _rename_behind_the_apps_back(app, product["id"], "Renamed in SQL")
    now[0] += app.state.settings.product_cache_ttl * 0.97  # past its refresh point
    due = await client.get(url, headers=customer_headers)
    assert due.content == first.content

    async def renamed() -> bool:
        answer = await client.get(url, headers=customer_headers)
        return bool(answer.json()["data"]["title"] == "Renamed in SQL")

    started = time.monotonic()
    while not await renamed():
        assert time.monotonic() - started < 5, "the due answer was not read again"
        await asyncio.sleep(0.01)
    # Read again once: the fresh answer is kept for a whole TTL from now.
    await _rename_behind_the_apps_back(app, product["id"], "Renamed twice")
    now[0] += app.state.settings.product_cache_ttl * 0.7
    assert (await client.get(url)).json()["data"]["title"] == "Renamed in SQL"


async def test_customers_get_the_cached_answer_and_admins_the_database(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    customer_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(title="Longjing")
    url = f"/api/v1/products/{product['id']}"
    first = await client.get(url, headers=customer_headers)
    await _rename_behind_the_apps_back(app, product["id"], "Renamed in SQL")
    # The answer does not depend on which customer asks, or on a token that does not check
    # out (a public read treats it as none).
    assert (await client.get(url, headers=customer_headers)).content == first.content
    assert (await client.get(url)).content == first.content
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await client.get(url, headers=bad)).content == first.content
    admin = await client.get(url, headers=admin_headers)
    assert admin.json()["data"]["title"] == "Renamed in SQL"


async def test_a_demoted_admin_reads_what_customers_read(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    hidden = await make_product(status="draft")
    url = f"/api/v1/products/{hidden['id']}"
    assert (await client.get(url, headers=admin_headers)).status_code == 200
    async with app.state.sessionmaker() as session:
        await session.execute(update(User).values(role="customer"))
        await session.commit()
    # The token still claims the admin role; the database decides.
    assert (await client.get(url, headers=admin_headers)).status_code == 404


@pytest.fixture
async def two_processes(
    request: pytest.FixtureRequest, settings: Settings, app: FastAPI
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two apps on one database and one Redis, as two workers or two instances are."""
    shared = settings.model_copy(update={"redis_url": fresh_redis_url(request)})
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            other = create_app(shared)
            await stack.enter_async_context(other.router.lifespan_context(other))
            transport = httpx.ASGITransport(app=other)
            client = httpx.AsyncClient(transport=transport, base_url="http://test")
            clients.append(await stack.enter_async_context(client))
        yield clients[0], clients[1]


async def _shows(
    client: httpx.AsyncClient, url: str, field: str, value: Any, within: float
) -> float:
    """How long until a read shows `field` at `value`; fails past `within` seconds."""
    start = time.monotonic()
    while True:
        read = await client.get(url)
        if read.json()["data"][field] == value:
            return time.monotonic() - start
        assert time.monotonic() - start < within, f"{field} still {read.json()['data'][field]}"
        await asyncio.sleep(0.005)


@requires("updateProduct", "deleteProduct")
async def test_a_write_in_one_process_shows_in_another_within_100_ms(
    two_processes: tuple[httpx.AsyncClient, httpx.AsyncClient],
    admin_headers: dict[str, str],
    customer_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    writer, reader = two_processes
    product = await make_product(stock=5, price_cents=1000)
    url = f"/api/v1/products/{product['id']}"
    assert (await reader.get(url)).json()["data"]["price_cents"] == 1000  # now cached there

    await writer.patch(url, json={"price_cents": 900}, headers=admin_headers)
    await _shows(reader, url, "price_cents", 900, COHERENCE_SECONDS)
    await writer.patch(url, json={"stock": 7}, headers=admin_headers)
    await _shows(reader, url, "stock", 7, COHERENCE_SECONDS)
    order = await writer.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": 2}], **payloads.CREATE_ORDER},
        headers={**customer_headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 201, order.text
    await _shows(reader, url, "stock", 5, COHERENCE_SECONDS)
    await writer.patch(url, json={"status": "draft"}, headers=admin_headers)
    start = time.monotonic()
    while (await reader.get(url)).status_code != 404:
        assert time.monotonic() - start < COHERENCE_SECONDS
        await asyncio.sleep(0.005)
    await writer.patch(url, json={"status": "active"}, headers=admin_headers)
    await _shows(reader, url, "status", "active", COHERENCE_SECONDS)
    assert (await reader.get("/api/v1/products")).json()["data"]["total"] == 1
    await writer.delete(url, headers=admin_headers)
    start = time.monotonic()
    while (await reader.get(url)).status_code != 404:
        assert time.monotonic() - start < COHERENCE_SECONDS
        await asyncio.sleep(0.005)
    assert (await reader.get("/api/v1/products")).json()["data"]["total"] == 0
