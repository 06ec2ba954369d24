"""Writing journals to the ledger, and reading balances back.

A balance is credits minus debits on an account: a channel's is what the shop owes it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.commission.engine import Account, Journal, JournalKind, Side
from app.commission.models import CommissionEntry, CommissionJournal


class UnbalancedJournal(Exception):
    """A journal whose debits and credits differ: a bug, never posted."""


async def post(
    session: AsyncSession,
    journal: Journal,
    *,
    now: datetime,
    created_by: int | None = None,
    reference: str | None = None,
    note: str | None = None,
) -> CommissionJournal:
    """Add `journal` and its entries to the session's transaction. Its key is unique: a second
    post of the same journal fails at the flush or the commit (IntegrityError)."""
    if not journal.balanced:
        raise UnbalancedJournal(journal.key)
    row = CommissionJournal(
        key=journal.key,
        kind=journal.kind,
        currency=journal.currency,
        order_id=journal.order_id,
        basis_cents=journal.basis_cents,
        reference=reference,
        note=note,
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    session.add_all(
        CommissionEntry(
            journal_id=row.id,
            kind=journal.kind,
            account=entry.account,
            side=entry.side,
            amount_cents=entry.amount_cents,
            currency=journal.currency,
            channel_id=entry.channel_id,
            order_id=journal.order_id,
            level=entry.level,
            rule_id=entry.rule_id,
            rule_version=entry.rule_version,
            created_at=now,
        )
        for entry in journal.entries
    )
    await session.flush()
    return row


def signed() -> ColumnElement[int]:
    """An entry's amount, credits up and debits down."""
    return case(
        (CommissionEntry.side == Side.CREDIT, CommissionEntry.amount_cents),
        else_=-CommissionEntry.amount_cents,
    )


async def posted_on_order(session: AsyncSession, order_id: int) -> dict[int, int]:
    """Each channel's net on an order so far."""
    rows = await session.execute(
        select(CommissionEntry.channel_id, func.sum(signed()))
        .where(
            CommissionEntry.order_id == order_id,
            CommissionEntry.account == Account.CHANNEL,
        )
        .group_by(CommissionEntry.channel_id)
    )
    return {int(channel): int(total or 0) for channel, total in rows if channel is not None}


@dataclass(frozen=True, slots=True)
class Balance:
    channel_id: int
    currency: str
    earned_cents: int
    adjusted_cents: int
    paid_out_cents: int

    @property
    def balance_cents(self) -> int:
        return self.earned_cents + self.adjusted_cents - self.paid_out_cents


def _sum_of(kind: JournalKind) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((CommissionEntry.kind == kind, signed()), else_=0)), 0)


async def balances(
    session: AsyncSession,
    channel_ids: Sequence[int] | None = None,
    *,
    before: datetime | None = None,
) -> list[Balance]:
    """Balances by channel and currency (of `channel_ids`, or of every channel), counting
    the entries made before `before` if given."""
    query = (
        select(
            CommissionEntry.channel_id,
            CommissionEntry.currency,
            _sum_of(JournalKind.SETTLEMENT),
            _sum_of(JournalKind.REFUND_ADJUSTMENT),
            _sum_of(JournalKind.PAYOUT),
        )
        .where(CommissionEntry.account == Account.CHANNEL)
        .group_by(CommissionEntry.channel_id, CommissionEntry.currency)
        .order_by(CommissionEntry.channel_id, CommissionEntry.currency)
    )
    if channel_ids is not None:
        query = query.where(CommissionEntry.channel_id.in_(channel_ids))
    if before is not None:
        query = query.where(CommissionEntry.created_at < before)
    rows = await session.execute(query)
    return [
        Balance(int(channel), currency, int(earned), int(adjusted), -int(paid))
        for channel, currency, earned, adjusted, paid in rows
        if channel is not None
    ]


async def balance_of(session: AsyncSession, channel_id: int, currency: str) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(signed()), 0)).where(
            CommissionEntry.account == Account.CHANNEL,
            CommissionEntry.channel_id == channel_id,
            CommissionEntry.currency == currency,
        )
    )
    return int(total or 0)
