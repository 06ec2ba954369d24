"""The commission arithmetic, by example and by property: for any chain, rules, order and
refunds, every journal balances, no channel gets more than its cap, the channels together
never more than the sale, and settling again changes nothing."""

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.commission.engine import (
    MAX_DEPTH,
    Account,
    Journal,
    JournalKind,
    Rule,
    Side,
    adjustment,
    earned,
    payout,
    pick_rule,
    settlement,
    shares,
)

EXAMPLES = int(os.environ.get("COMMISSION_PROPERTY_EXAMPLES", "300"))
PLACED = datetime(2026, 11, 5, 10, 0, tzinfo=UTC)


def _rule(rule_id: int = 1, **fields: object) -> Rule:
    values: dict[str, object] = {
        "id": rule_id,
        "version": 1,
        "channel_id": None,
        "level": 0,
        "rate_bp": 1000,
        "fixed_cents": 0,
        "cap_cents": None,
        "currency": "CNY",
        "valid_from": PLACED - timedelta(days=30),
        "valid_until": None,
    }
    values.update(fields)
    return Rule(**values)  # type: ignore[arg-type]


def test_floor_per_line_then_fixed_then_cap() -> None:
    rule = _rule(rate_bp=333, fixed_cents=100, cap_cents=None)
    # 999 * 3.33% = 33.2667 -> 33; 1001 * 3.33% = 33.3333 -> 33: the shop keeps the fractions.
    assert earned([999, 1001], rule) == 33 + 33 + 100
    assert earned([999, 1001], _rule(rate_bp=333, fixed_cents=100, cap_cents=150)) == 150
    assert earned([0, 0], _rule(fixed_cents=500)) == 0, "nothing on an order nothing is left of"


def test_the_channels_own_rule_wins_over_the_default_and_the_newest_version_wins() -> None:
    rules = [
        _rule(1, channel_id=None, rate_bp=100),
        _rule(2, channel_id=7, rate_bp=200, version=1),
        _rule(3, channel_id=7, rate_bp=300, version=2),
        _rule(4, channel_id=7, rate_bp=900, version=3, valid_from=PLACED + timedelta(hours=1)),
        _rule(5, channel_id=7, rate_bp=400, version=1, currency="USD"),
    ]
    assert pick_rule(rules, 7, 0, "CNY", PLACED) == rules[2]
    assert pick_rule(rules, 8, 0, "CNY", PLACED) == rules[0]
    assert pick_rule(rules, 7, 0, "USD", PLACED) == rules[4]
    assert pick_rule(rules, 7, 1, "CNY", PLACED) is None
    ended = [_rule(6, channel_id=7, valid_until=PLACED)]
    assert pick_rule(ended, 7, 0, "CNY", PLACED) is None, "valid_until is excluded"


def test_a_settlement_debits_the_shop_what_it_credits_the_chain() -> None:
    chain = [(11, _rule(1, rate_bp=1000)), (12, _rule(2, rate_bp=300, cap_cents=50)), (13, None)]
    found = shares([4000, 2500], chain)
    journal = settlement(42, "CNY", [4000, 2500], found)
    assert journal is not None and journal.balanced
    assert journal.key == "settlement:42" and journal.kind is JournalKind.SETTLEMENT
    shop, *credits = journal.entries
    assert (shop.account, shop.side, shop.amount_cents) == (Account.SHOP, Side.DEBIT, 650 + 50)
    assert [(e.channel_id, e.amount_cents, e.level, e.rule_id) for e in credits] == [
        (11, 650, 0, 1),
        (12, 50, 1, 2),
    ]


def test_the_chain_never_gets_more_than_the_sale() -> None:
    chain = [
        (1, _rule(1, rate_bp=8000)),
        (2, _rule(2, rate_bp=8000)),
        (3, _rule(3, fixed_cents=10)),
    ]
    found = shares([1000], chain)
    assert [s.amount_cents for s in found] == [800, 200, 0]


def test_a_payout_moves_the_balance_to_payouts() -> None:
    journal = payout("BANK-1", 7, "CNY", 500)
    assert journal.balanced and journal.key == "payout:BANK-1"
    assert [(e.account, e.side) for e in journal.entries] == [
        (Account.CHANNEL, Side.DEBIT),
        (Account.PAYOUTS, Side.CREDIT),
    ]


@dataclass
class Ledger:
    """Journals by key, as the database keeps them: a key is posted once."""

    journals: dict[str, Journal] = field(default_factory=dict)

    def post(self, journal: Journal | None) -> bool:
        if journal is None or journal.key in self.journals:
            return False
        self.journals[journal.key] = journal
        return True

    def net(self, order_id: int) -> dict[int, int]:
        found: dict[int, int] = {}
        for journal in self.journals.values():
            if journal.order_id != order_id:
                continue
            for entry in journal.entries:
                if entry.channel_id is not None:
                    found[entry.channel_id] = found.get(entry.channel_id, 0) + entry.signed
        return found


def _settle_or_adjust(
    ledger: Ledger, order_id: int, lines: list[int], chain: list[tuple[int, Rule | None]]
) -> Journal | None:
    """What a settlement round posts for the order as it stands (the settler's decision)."""
    found = shares(lines, chain)
    if f"settlement:{order_id}" not in ledger.journals:
        return settlement(order_id, "CNY", lines, found)
    return adjustment(order_id, "CNY", lines, found, ledger.net(order_id))


rules = st.builds(
    lambda rate, fixed, cap: _rule(rate_bp=rate, fixed_cents=fixed, cap_cents=cap),
    st.integers(0, 10_000),
    st.integers(0, 5_000),
    st.none() | st.integers(0, 200_000),
)


@st.composite
def sales(draw: st.DrawFn) -> tuple[list[tuple[int, Rule | None]], list[int], list[list[int]]]:
    """A chain (seller first) with a rule or none per level, an order's lines, and the lines
    after each of some refunds (each line only ever shrinks)."""
    depth = draw(st.integers(1, MAX_DEPTH))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=depth, max_size=depth, unique=True))
    chain = [(channel_id, draw(st.none() | rules)) for channel_id in ids]
    lines = draw(st.lists(st.integers(1, 5_000_000), min_size=1, max_size=6))
    refunds: list[list[int]] = []
    current = lines
    for _ in range(draw(st.integers(0, 3))):
        current = [draw(st.integers(0, line)) for line in current]
        refunds.append(current)
    return chain, lines, refunds


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(sales())
def test_the_ledger_balances_respects_caps_and_settles_once(
    sale: tuple[list[tuple[int, Rule | None]], list[int], list[list[int]]],
) -> None:
    chain, lines, refunds = sale
    ledger = Ledger()
    order_id = 1
    for current in [lines, *refunds]:
        ledger.post(_settle_or_adjust(ledger, order_id, current, chain))
        # Settling again with nothing new changes nothing.
        again = _settle_or_adjust(ledger, order_id, current, chain)
        assert again is None or not ledger.post(again)
        assert all(journal.balanced for journal in ledger.journals.values())
        net = ledger.net(order_id)
        expected = {s.channel_id: s.amount_cents for s in shares(current, chain)}
        assert {k: v for k, v in net.items() if v} == {k: v for k, v in expected.items() if v}
        assert sum(net.values()) <= sum(current)
        for channel_id, rule in chain:
            amount = net.get(channel_id, 0)
            assert amount >= 0
            if rule is None:
                assert amount == 0
            elif rule.cap_cents is not None:
                assert amount <= rule.cap_cents
    # The shop's side mirrors the channels': its debits less credits are what they hold.
    shop = sum(
        -entry.signed
        for journal in ledger.journals.values()
        for entry in journal.entries
        if entry.account is Account.SHOP
    )
    assert shop == sum(ledger.net(order_id).values())


@pytest.mark.parametrize("rate_bp", [1, 333, 9999, 10_000])
def test_floors_never_pay_more_than_the_exact_share(rate_bp: int) -> None:
    lines = [1, 7, 99, 1234567]
    exact = sum(line * rate_bp for line in lines) / 10_000
    assert earned(lines, _rule(rate_bp=rate_bp)) <= exact
