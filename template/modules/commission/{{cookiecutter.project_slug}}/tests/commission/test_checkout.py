"""`channel_code` on createOrder: checked, and the chain it names kept with the order."""

import dataclasses
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from app.commission.cache import ConfigCache
from app.orders.models import Order
from tests.commission.conftest import Headers, Shop


async def _orders(shop: Shop) -> int:
    async with shop.app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count(Order.id))) or 0)


async def test_an_order_keeps_the_chain_it_was_sold_through(
    shop: Shop,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    agency = await shop.channel("agency-east")
    agent = await shop.channel("agent-hz", agency)
    talent = await shop.channel("talent-lin", agent)
    product = await make_product(stock=5)
    order_id = await shop.sold(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent-lin"
    )
    attribution = await shop.attribution(order_id)
    assert attribution is not None
    assert (attribution.channel_id, attribution.chain, attribution.state) == (
        talent,
        [talent, agent, agency],
        "open",
    )
    # Moving the talent later does not change who earns on this order.
    other = await shop.channel("agency-west")
    await client.patch(
        f"/api/v1/commission/channels/{talent}", json={"parent_id": other}, headers=shop.admin
    )
    again = await shop.attribution(order_id)
    assert again is not None and again.chain == [talent, agent, agency]
    later = await shop.sold(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent-lin"
    )
    moved = await shop.attribution(later)
    assert moved is not None and moved.chain == [talent, other]


async def test_an_unknown_or_inactive_code_places_no_order_and_holds_no_stock(
    shop: Shop,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    talent = await shop.channel("talent-off")
    await client.patch(
        f"/api/v1/commission/channels/{talent}", json={"active": False}, headers=shop.admin
    )
    product = await make_product(stock=3)
    for code in ("nobody-here", "talent-off"):
        response = await shop.order(
            customer_headers, [{"product_id": product["id"], "quantity": 3}], code
        )
        assert response.status_code == 422, response.text
        (error,) = response.json()["data"]["errors"]
        assert (error["field"], error["type"]) == ("channel_code", "unknown_channel")
    assert await _orders(shop) == 0
    left = await client.get(f"/api/v1/products/{product['id']}", headers=customer_headers)
    assert left.json()["data"]["stock"] == 3
    malformed = await shop.order(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "NO SPACES"
    )
    assert malformed.status_code == 422


async def test_an_order_without_a_code_is_nobodys(
    shop: Shop, customer_headers: Headers, make_product: Callable[..., Any]
) -> None:
    product = await make_product(stock=3)
    response = await shop.order(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], None
    )
    assert response.status_code == 201
    assert await shop.attribution(response.json()["data"]["id"]) is None


async def test_a_channel_made_a_moment_ago_is_accepted_though_not_yet_cached(
    shop: Shop, customer_headers: Headers, make_product: Callable[..., Any]
) -> None:
    """A process that has not heard of the new channel asks the database before refusing."""
    product = await make_product(stock=3)
    stale = ConfigCache(shop.app.state.sessionmaker, None, ttl=3600)
    await stale.get()
    talent = await shop.channel("talent-new")
    shop.app.state.commission = dataclasses.replace(shop.app.state.commission, cache=stale)
    order_id = await shop.sold(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent-new"
    )
    assert (await stale.get()).by_code("talent-new") is None
    attribution = await shop.attribution(order_id)
    assert attribution is not None and attribution.chain == [talent]
