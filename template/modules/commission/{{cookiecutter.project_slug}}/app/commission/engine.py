"""The commission arithmetic, apart from any database: what each beneficiary earns on an
order, and the journals that put it in the ledger.

    chain   the channel an order was sold through, its parent, ... up to the root: the
            beneficiaries at level 0, 1, ... (at most `MAX_DEPTH` of them)
    rule    per channel and level: `rate_bp` (basis points of each line), `fixed_cents` (per
            order), `cap_cents` (per order), valid from a time until a time; of the rules in
            force when the order was placed, the highest version of the channel's own, else of
            the default for that level

Rounding: a beneficiary earns, on every line, floor(line * rate_bp / 10000); the sum, plus
the fixed amount, is capped. What the floors leave over stays with the shop and is never
posted. Beneficiaries are served from the seller up, and never more in total than the
order's net amount: rules that add up to more than the sale cannot pay out more than it.

Journals are balanced (debits = credits) and never edited:

    settlement         the shop is debited the sum of the credits to each beneficiary
    refund_adjustment  a refund after settlement: every share is computed again, with the
                       same rules, on what the customer kept; beneficiaries are debited the
                       difference and the shop is credited it
    payout             a beneficiary is debited what was paid to them; `payouts` is credited
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_DEPTH = 5
BASIS_POINTS = 10_000


class Account(StrEnum):
    SHOP = "shop"
    CHANNEL = "channel"
    PAYOUTS = "payouts"


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class JournalKind(StrEnum):
    SETTLEMENT = "settlement"
    REFUND_ADJUSTMENT = "refund_adjustment"
    PAYOUT = "payout"


@dataclass(frozen=True, slots=True)
class Rule:
    """One version of a rule; `channel_id` None is the default for its level."""

    id: int
    version: int
    channel_id: int | None
    level: int
    rate_bp: int
    fixed_cents: int
    cap_cents: int | None
    currency: str
    valid_from: datetime
    valid_until: datetime | None

    def in_force(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)


def pick_rule(
    rules: Iterable[Rule], channel_id: int, level: int, currency: str, at: datetime
) -> Rule | None:
    """The rule for `channel_id` at `level` on an order in `currency` placed at `at`."""
    own: Rule | None = None
    default: Rule | None = None
    for rule in rules:
        if rule.level != level or rule.currency != currency or not rule.in_force(at):
            continue
        if rule.channel_id == channel_id and (own is None or rule.version > own.version):
            own = rule
        elif rule.channel_id is None and (default is None or rule.version > default.version):
            default = rule
    return own or default


def earned(lines: Sequence[int], rule: Rule) -> int:
    """What `rule` gives on lines of these net amounts: floor per line, the fixed amount, the
    cap. Nothing on an order nothing is left of."""
    if sum(lines) <= 0:
        return 0
    amount = sum(line * rule.rate_bp // BASIS_POINTS for line in lines if line > 0)
    amount += rule.fixed_cents
    return amount if rule.cap_cents is None else min(amount, rule.cap_cents)


@dataclass(frozen=True, slots=True)
class Share:
    channel_id: int
    level: int
    rule: Rule
    amount_cents: int


def shares(lines: Sequence[int], beneficiaries: Sequence[tuple[int, Rule | None]]) -> list[Share]:
    """Each beneficiary's share, seller first (`beneficiaries` is the chain with the rule of
    each, None for none); all together never more than the lines' sum."""
    left = max(sum(lines), 0)
    found: list[Share] = []
    for level, (channel_id, rule) in enumerate(beneficiaries):
        if rule is None:
            continue
        amount = min(earned(lines, rule), left)
        left -= amount
        found.append(Share(channel_id, level, rule, amount))
    return found


@dataclass(frozen=True, slots=True)
class Entry:
    account: Account
    side: Side
    amount_cents: int
    channel_id: int | None = None
    level: int | None = None
    rule_id: int | None = None
    rule_version: int | None = None

    def __post_init__(self) -> None:
        if self.amount_cents <= 0:
            raise ValueError("a ledger entry moves a positive amount")

    @property
    def signed(self) -> int:
        """Credits count up, debits down."""
        return self.amount_cents if self.side is Side.CREDIT else -self.amount_cents


@dataclass(frozen=True, slots=True)
class Journal:
    """Entries posted together, once: `key` is unique in the ledger."""

    key: str
    kind: JournalKind
    currency: str
    entries: tuple[Entry, ...]
    order_id: int | None = None
    # The order's net amount the shares were computed on.
    basis_cents: int | None = None

    @property
    def balanced(self) -> bool:
        return sum(entry.signed for entry in self.entries) == 0


def _share_entry(share: Share, side: Side, amount: int) -> Entry:
    return Entry(
        Account.CHANNEL,
        side,
        amount,
        channel_id=share.channel_id,
        level=share.level,
        rule_id=share.rule.id,
        rule_version=share.rule.version,
    )


def settlement(
    order_id: int, currency: str, lines: Sequence[int], found: Sequence[Share]
) -> Journal | None:
    """The settlement of an order; None when nobody earns anything on it."""
    credits = [_share_entry(s, Side.CREDIT, s.amount_cents) for s in found if s.amount_cents > 0]
    if not credits:
        return None
    shop = Entry(Account.SHOP, Side.DEBIT, sum(entry.amount_cents for entry in credits))
    return Journal(
        f"settlement:{order_id}",
        JournalKind.SETTLEMENT,
        currency,
        (shop, *credits),
        order_id=order_id,
        basis_cents=max(sum(lines), 0),
    )


def adjustment(
    order_id: int,
    currency: str,
    lines: Sequence[int],
    found: Sequence[Share],
    posted: Mapping[int, int],
) -> Journal | None:
    """What brings each beneficiary's net on the order (`posted`, by channel) to its share
    of the order as it now stands (`found`); None when nothing changes."""
    entries: list[Entry] = []
    for share in found:
        delta = posted.get(share.channel_id, 0) - share.amount_cents
        if delta > 0:
            entries.append(_share_entry(share, Side.DEBIT, delta))
        elif delta < 0:
            entries.append(_share_entry(share, Side.CREDIT, -delta))
    back_to_shop = -sum(entry.signed for entry in entries)
    if back_to_shop > 0:
        entries.append(Entry(Account.SHOP, Side.CREDIT, back_to_shop))
    elif back_to_shop < 0:
        entries.append(Entry(Account.SHOP, Side.DEBIT, -back_to_shop))
    if not entries:
        return None
    basis = max(sum(lines), 0)
    return Journal(
        f"refund_adjustment:{order_id}:{basis}",
        JournalKind.REFUND_ADJUSTMENT,
        currency,
        tuple(entries),
        order_id=order_id,
        basis_cents=basis,
    )


def payout(reference: str, channel_id: int, currency: str, amount_cents: int) -> Journal:
    return Journal(
        f"payout:{reference}",
        JournalKind.PAYOUT,
        currency,
        (
            Entry(Account.CHANNEL, Side.DEBIT, amount_cents, channel_id=channel_id),
            Entry(Account.PAYOUTS, Side.CREDIT, amount_cents),
        ),
    )
