"""The ledger's properties through the whole service, on the test database: random trees
and rules made over HTTP, orders placed through random channels, completed, settled, some
refunded; then every journal balances, no channel exceeds its rule's cap, and another round
changes nothing. Each example uses a currency of its own, so earlier examples' rules and
orders do not touch it."""

import itertools
import os
import string
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.commission.engine import MAX_DEPTH
from app.commission.models import CommissionEntry, CommissionRule
from app.commission.settlement import RoundResult
from tests.commission.conftest import Headers, Shop, credits_by_channel, settler

EXAMPLES = int(os.environ.get("COMMISSION_DB_PROPERTY_EXAMPLES", "20"))
_CURRENCIES = ("".join(c) for c in itertools.product(string.ascii_uppercase, repeat=3))


@st.composite
def trees(draw: st.DrawFn) -> list[int | None]:
    """Each channel's parent, by index (None for a root), at most five deep."""
    parents: list[int | None] = []
    depths: list[int] = []
    for index in range(draw(st.integers(1, 8))):
        open_ = [j for j in range(index) if depths[j] < MAX_DEPTH]
        parent = draw(st.none() | st.sampled_from(open_)) if open_ else None
        parents.append(parent)
        depths.append(1 if parent is None else depths[parent] + 1)
    return parents


rules: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {
        "level": st.integers(0, MAX_DEPTH - 1),
        "rate_bp": st.integers(0, 10_000),
        "fixed_cents": st.integers(0, 3_000),
        "cap_cents": st.none() | st.integers(0, 50_000),
    }
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), tree=trees())
async def test_any_tree_rules_orders_and_refunds_keep_the_ledger_sound(
    shop: Shop,
    customer_headers: Headers,
    make_product: Callable[..., Any],
    data: st.DataObject,
    tree: list[int | None],
) -> None:
    currency = next(_CURRENCIES)
    ids: list[int] = []
    for index, parent in enumerate(tree):
        code = f"{currency.lower()}-{index}"
        ids.append(await shop.channel(code, ids[parent] if parent is not None else None))
    for rule in data.draw(st.lists(rules, max_size=6), label="rules"):
        owner = data.draw(st.none() | st.sampled_from(ids), label="rule channel")
        await shop.rule(currency=currency, channel_id=owner, **rule)
    price = data.draw(st.integers(1, 2_000_000), label="price")
    product = await make_product(
        sku=f"SKU-{currency}", price_cents=price, currency=currency, stock=50
    )
    sellers = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3), label="sellers")
    totals: dict[int, int] = {}
    for seller in sellers:
        quantity = data.draw(st.integers(1, 5), label="quantity")
        code = f"{currency.lower()}-{ids.index(seller)}"
        line = [{"product_id": product["id"], "quantity": quantity}]
        order_id = await shop.sold(customer_headers, line, code)
        await shop.complete(order_id)
        totals[order_id] = price * quantity
    orders = list(totals)
    await settler(shop.app).run_round()
    refunded = data.draw(st.lists(st.sampled_from(orders), unique=True), label="refunded")
    for order_id in refunded:
        await shop.refund_in_full(order_id)
    await settler(shop.app).run_round()
    before = len(await shop.entries())
    assert await settler(shop.app).run_round() == RoundResult()
    assert len(await shop.entries()) == before, "another round changes nothing"
    async with shop.app.state.sessionmaker() as session:
        unbalanced = await session.execute(
            select(CommissionEntry.journal_id)
            .where(CommissionEntry.currency == currency)
            .group_by(CommissionEntry.journal_id)
            .having(
                func.sum(CommissionEntry.amount_cents).filter(CommissionEntry.side == "debit")
                != func.sum(CommissionEntry.amount_cents).filter(CommissionEntry.side == "credit")
            )
        )
        assert unbalanced.all() == []
        caps = {
            rule.id: rule.cap_cents
            for rule in await session.scalars(
                select(CommissionRule).where(CommissionRule.currency == currency)
            )
        }
    for order_id in orders:
        entries = await shop.entries(order_id)
        net = credits_by_channel(entries)
        if order_id in refunded:
            assert set(net.values()) <= {0}
            continue
        assert sum(net.values()) <= totals[order_id]
        for entry in entries:
            if entry.channel_id is not None and entry.rule_id is not None:
                cap = caps[entry.rule_id]
                assert cap is None or net[entry.channel_id] <= cap
