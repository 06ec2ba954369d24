"""Sold-out answers come from Redis before any database work, and idempotency holds."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.main import create_app
from app.orders.models import IdempotencyRecord
from app.stock.backend import MARK_ON_DATABASE, idempotency_mark_key
from tests.markers import requires
from tests.redis_server import fresh_redis_url
from tests.variants import buy_variant

pytestmark = requires("createOrder")

Headers = dict[str, str]


@pytest.fixture
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_url": fresh_redis_url(request)})


async def _recorded_keys(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count(IdempotencyRecord.id))) or 0)


async def test_a_sold_out_refusal_touches_no_database_and_replays(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=2)
    sold = [await buy_variant(client, customer_headers, product, f"key-sold-{n}") for n in range(2)]
    assert [response.status_code for response in sold] == [201, 201]
    recorded = await _recorded_keys(app)

    refused = await buy_variant(client, customer_headers, product, "key-refused")
    assert refused.status_code == 409
    assert refused.json()["data"]["errors"][0]["type"] == "out_of_stock"
    assert refused.json()["data"]["errors"][0]["field"] == "items.0.quantity"
    assert await _recorded_keys(app) == recorded

    again = await buy_variant(client, customer_headers, product, "key-refused")
    assert again.status_code == 409
    assert again.json() == refused.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other_body = await buy_variant(client, customer_headers, product, "key-refused", quantity=2)
    assert other_body.status_code == 422

    # A key that bought before the sale ended gets its order again, not "sold out".
    replayed = await buy_variant(client, customer_headers, product, "key-sold-0")
    assert replayed.status_code == 201
    assert replayed.json() == sold[0].json()
    assert replayed.headers["Idempotent-Replayed"] == "true"


async def test_a_crowd_is_refused_and_a_restock_sells_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    """The gate guesses a variant it found short is short still, and puts the guess right."""
    product = await make_product(stock=1)
    last = await buy_variant(client, customer_headers, product, "key-last")
    assert last.status_code == 201
    crowd = [
        await buy_variant(client, customer_headers, product, f"key-crowd-{n}") for n in range(3)
    ]
    assert {response.status_code for response in crowd} == {409}
    assert len({response.text for response in crowd}) == 1
    for n, refused in enumerate(crowd):
        replayed = await buy_variant(client, customer_headers, product, f"key-crowd-{n}")
        assert replayed.json() == refused.json()
        assert replayed.headers["Idempotent-Replayed"] == "true"

    variant = product["variants"][0]["id"]
    restocked = await client.patch(
        f"/api/v1/products/{product['id']}/variants/{variant}",
        json={"stock": 1},
        headers=admin_headers,
    )
    assert restocked.status_code == 200, restocked.text
    again = await buy_variant(client, customer_headers, product, "key-after-restock")
    assert again.status_code == 201, again.text
    user_id = again.json()["data"]["user_id"]
    with redis.Redis.from_url(app.state.settings.redis_url) as server:
        assert server.get(idempotency_mark_key(user_id, "key-after-restock")) == MARK_ON_DATABASE


async def test_the_stock_that_is_there_is_still_sold(
    client: httpx.AsyncClient, customer_headers: Headers, make_product: Callable[..., Any]
) -> None:
    product = await make_product(stock=3)
    too_many = await buy_variant(client, customer_headers, product, "key-four", quantity=4)
    assert too_many.status_code == 409
    assert "Only 3 units" in too_many.json()["data"]["errors"][0]["message"]
    exact = await buy_variant(client, customer_headers, product, "key-three", quantity=3)
    assert exact.status_code == 201


async def test_redis_restarted_empty_marks_every_key_the_database_keeps(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=1)
    bought = await buy_variant(client, customer_headers, product, "key-before-restart")
    assert bought.status_code == 201
    token = customer_headers["Authorization"].removeprefix("Bearer ")
    user_id = int(app.state.token_codec.decode(token, "access").subject)
    url = app.state.settings.redis_url
    with redis.Redis.from_url(url) as server:
        server.flushall()  # what a restart without persistence leaves
    await app.state.stock.warm()
    with redis.Redis.from_url(url) as server:
        mark = server.get(idempotency_mark_key(user_id, "key-before-restart"))
        assert mark == MARK_ON_DATABASE
        assert server.ttl(idempotency_mark_key(user_id, "key-before-restart")) > 0
    replayed = await buy_variant(client, customer_headers, product, "key-before-restart")
    assert replayed.status_code == 201
    assert replayed.json() == bought.json()
    refused = await buy_variant(client, customer_headers, product, str(uuid.uuid4()))
    assert refused.status_code == 409


async def test_the_database_policy_keeps_every_answer_in_the_database(
    settings: Settings, engine: AsyncEngine
) -> None:
    app = create_app(settings.model_copy(update={"redis_down_policy": "database"}))
    async with app.router.lifespan_context(app):
        assert app.state.sold_out is None
