"""Settlement end to end: not before the return window, once per order however many workers
try (the PostgreSQL run of this file is the proof that matters), caps and rule versions on
the entries, refunds before and after, and a ledger the database will not let anyone edit."""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from app.commission.models import CommissionEntry, CommissionJournal
from tests.commission.conftest import Headers, Later, Shop, credits_by_channel, settler

Product = Callable[..., Any]


async def _tree(shop: Shop) -> tuple[int, int, int]:
    agency = await shop.channel("agency")
    agent = await shop.channel("agent", agency)
    talent = await shop.channel("talent", agent)
    await shop.rule(0, 1000)  # every seller: 10% of each line
    await shop.rule(1, 300, channel_id=agent, cap_cents=1500)  # the agent: 3%, at most 15.00
    await shop.rule(2, 100, fixed_cents=200)  # two steps up: 1% and 2.00 an order
    return agency, agent, talent


async def test_an_order_is_settled_after_its_return_window_once(
    shop: Shop, customer_headers: Headers, make_product: Product
) -> None:
    agency, agent, talent = await _tree(shop)
    tea = await make_product(sku="TEA-1", price_cents=33333, stock=10)
    cup = await make_product(sku="CUP-1", price_cents=999, stock=10)
    items = [{"product_id": tea["id"], "quantity": 2}, {"product_id": cup["id"], "quantity": 1}]
    order_id = await shop.sold(customer_headers, items, "talent")
    await shop.complete(order_id)
    early = await settler(shop.app, Later(days=1)).run_round()
    assert (early.settled, await shop.journals()) == (0, [])
    done = await settler(shop.app).run_round()
    assert (done.settled, done.voided) == (1, 0)
    entries = await shop.entries(order_id)
    # Lines of 666.66 and 9.99: floor(66666 * 10%) + floor(999 * 10%) = 6666 + 99.
    assert credits_by_channel(entries) == {talent: 6765, agent: 1500, agency: 666 + 9 + 200}
    (shop_entry,) = [e for e in entries if e.account == "shop"]
    assert (shop_entry.side, shop_entry.amount_cents) == ("debit", 6765 + 1500 + 875)
    agent_entry = next(e for e in entries if e.channel_id == agent)
    assert (agent_entry.level, agent_entry.rule_version) == (1, 1)
    again = await settler(shop.app).run_round()
    assert again == type(again)() and len(await shop.entries()) == len(entries)
    attribution = await shop.attribution(order_id)
    assert attribution is not None and attribution.state == "settled"


async def test_a_new_rule_version_applies_to_orders_placed_after_it(
    shop: Shop, customer_headers: Headers, make_product: Product
) -> None:
    talent = await shop.channel("talent")
    await shop.rule(0, 1000)
    product = await make_product(price_cents=10000, stock=10)
    first = await shop.sold(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent"
    )
    newer = await shop.rule(0, 500)
    second = await shop.sold(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent"
    )
    for order_id in (first, second):
        await shop.complete(order_id)
    await settler(shop.app).run_round()
    one = await shop.entries(first)
    two = await shop.entries(second)
    assert credits_by_channel(one) == {talent: 1000}
    assert credits_by_channel(two) == {talent: 500}
    assert {e.rule_id for e in two if e.channel_id} == {newer["id"]}
    assert {e.rule_version for e in two if e.channel_id} == {2}


async def test_closed_orders_and_orders_no_rule_covers_are_voided(
    shop: Shop, client: Any, customer_headers: Headers, make_product: Product
) -> None:
    await shop.channel("talent")
    product = await make_product(price_cents=10000, stock=10)
    unpaid = await shop.sold(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent"
    )
    cancelled = await client.post(f"/api/v1/orders/{unpaid}/cancellation", headers=customer_headers)
    assert cancelled.status_code == 200
    no_rule = await shop.sold(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent"
    )
    await shop.complete(no_rule)
    done = await settler(shop.app).run_round()
    assert (done.settled, done.voided) == (0, 2)
    assert await shop.journals() == []


async def test_a_refund_after_settlement_takes_the_commission_back(
    shop: Shop, customer_headers: Headers, make_product: Product
) -> None:
    agency, agent, talent = await _tree(shop)
    product = await make_product(price_cents=50000, stock=10)
    order_id = await shop.sold(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent"
    )
    await shop.complete(order_id)
    await settler(shop.app).run_round()
    settled = credits_by_channel(await shop.entries(order_id))
    assert all(amount > 0 for amount in settled.values())
    await shop.refund_in_full(order_id)
    done = await settler(shop.app).run_round()
    assert done.adjusted == 1
    entries = await shop.entries(order_id)
    assert credits_by_channel(entries) == {talent: 0, agent: 0, agency: 0}
    adjustment = [e for e in entries if e.kind == "refund_adjustment"]
    assert {(e.account, e.side) for e in adjustment} == {("channel", "debit"), ("shop", "credit")}
    assert sum(e.amount_cents for e in adjustment if e.side == "debit") == sum(settled.values())
    assert (await settler(shop.app).run_round()).adjusted == 0


@pytest.mark.parametrize("workers", [8])
async def test_concurrent_workers_settle_each_order_once(
    shop: Shop, customer_headers: Headers, make_product: Product, workers: int
) -> None:
    await _tree(shop)
    product = await make_product(price_cents=12345, stock=100)
    orders = [
        await shop.sold(customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent")
        for _ in range(12)
    ]
    for order_id in orders:
        await shop.complete(order_id)
    racers = [settler(shop.app) for _ in range(workers)]
    results = await asyncio.gather(*(racer.run_round() for racer in racers))
    assert sum(result.settled for result in results) == len(orders)
    journals = await shop.journals()
    assert sorted(j.order_id for j in journals if j.order_id) == sorted(orders)
    # Every order's own settle call, at once, changes nothing more.
    outcomes = await asyncio.gather(*(r.settle(o) for r in racers for o in orders))
    assert set(outcomes) == {"unchanged"}
    assert len(await shop.journals()) == len(orders)


async def test_the_ledger_cannot_be_edited_or_deleted(
    shop: Shop, customer_headers: Headers, make_product: Product
) -> None:
    await _tree(shop)
    product = await make_product(price_cents=10000, stock=10)
    order_id = await shop.sold(
        customer_headers, [{"product_id": product["id"], "quantity": 1}], "talent"
    )
    await shop.complete(order_id)
    await settler(shop.app).run_round()
    for statement in (
        update(CommissionEntry).values(amount_cents=1),
        delete(CommissionEntry),
        update(CommissionJournal).values(note="edited"),
        delete(CommissionJournal),
    ):
        async with shop.app.state.sessionmaker() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(statement)
            await session.rollback()
    assert len(await shop.entries(order_id)) == 4
