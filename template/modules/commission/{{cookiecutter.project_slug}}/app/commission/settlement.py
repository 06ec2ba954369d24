"""Settling the orders sold through channels, and adjusting settled ones after refunds.

A round settles (or voids) every open attribution whose order is due: complete for longer
than the return window, or closed for good. Then it looks again at every settled order that
changed since (the change listener marks them) and posts a refund adjustment if the customer
now keeps less.

Each order is read, then claimed with a conditional update of its attribution in a
transaction that also posts its journal (`state = 'open'` to settle, the `basis_cents` last
posted on to adjust), so a settlement is posted once per order however many workers run: the
second worker's update waits for the first one's commit, then matches nothing. A change of
the order between the read and the claim (a refund) leaves `review_due` set, so the next
round looks again. The journal's unique key stands
behind the claim. Rules come from the cached configuration, checked against the version the
settling transaction sees.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.commission import ledger, sales
from app.commission.cache import ConfigCache, Snapshot
from app.commission.config import CommissionSettings
from app.commission.engine import Rule, Share, adjustment, pick_rule, settlement, shares
from app.commission.models import CommissionAttribution
from app.core.db import utcnow
from app.core.tasks import run_every
from app.orders.models import Order

Outcome = Literal["settled", "voided", "adjusted", "unchanged", "not_due"]


@dataclass(frozen=True, slots=True)
class RoundResult:
    settled: int = 0
    voided: int = 0
    adjusted: int = 0


class Settler:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        cache: ConfigCache,
        settings: CommissionSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._cache = cache
        self._settings = settings
        self._clock = clock

    def cutoff(self) -> datetime:
        """Orders completed before this are past their return window."""
        return self._clock() - timedelta(days=self._settings.return_window_days)

    async def run_round(self) -> RoundResult:
        limit = self._settings.batch
        async with self._sessionmaker() as session:
            due = list(
                await session.scalars(
                    select(CommissionAttribution.order_id)
                    .join(Order, Order.id == CommissionAttribution.order_id)
                    .where(CommissionAttribution.state == "open", sales.due(self.cutoff()))
                    .order_by(CommissionAttribution.order_id)
                    .limit(limit)
                )
            )
            changed = list(
                await session.scalars(
                    select(CommissionAttribution.order_id)
                    .where(
                        CommissionAttribution.state == "settled",
                        CommissionAttribution.review_due.is_(True),
                    )
                    .order_by(CommissionAttribution.order_id)
                    .limit(limit)
                )
            )
        counts = {"settled": 0, "voided": 0, "adjusted": 0}
        for order_id in due:
            outcome = await self.settle(order_id)
            if outcome in counts:
                counts[outcome] += 1
        for order_id in changed:
            if await self.adjust(order_id) == "adjusted":
                counts["adjusted"] += 1
        return RoundResult(**counts)

    async def settle(self, order_id: int) -> Outcome:
        """Settle one order if it is due; idempotent, and safe beside other workers."""
        async with self._sessionmaker() as session:
            attribution = await _attribution(session, order_id)
            if attribution is None or attribution.state != "open":
                return "unchanged"
            seen = attribution.changes
            sale = await sales.read_sale(session, order_id)
            if sale is None:
                return "unchanged"
            complete = sale.completed_at is not None and sale.completed_at <= self.cutoff()
            if not (complete or sale.closed):
                return "not_due"
            found: list[Share] = []
            if not sale.closed:
                snapshot = await self._cache.current(session)
                found = shares(sale.lines, _beneficiaries(snapshot, attribution, sale.currency))
            journal = settlement(order_id, sale.currency, sale.lines, found)
            # End the read: the claim below decides, in a transaction of its own (on SQLite a
            # read that turns into a write cannot wait for another writer).
            await session.commit()
            now = self._clock()
            state = "settled" if journal is not None else "void"
            claimed = await session.execute(
                update(CommissionAttribution)
                .where(
                    CommissionAttribution.order_id == order_id,
                    CommissionAttribution.state == "open",
                )
                .values(
                    state=state,
                    rules=[[share.channel_id, share.rule.id] for share in found],
                    basis_cents=max(sum(sale.lines), 0),
                    settled_at=now,
                    updated_at=now,
                    # Changes since `seen` (a refund while we settled) are looked at later.
                    review_due=CommissionAttribution.changes != seen,
                )
                .execution_options(synchronize_session=False)
            )
            if not _one_row(claimed):
                await session.rollback()
                return "unchanged"
            if journal is not None:
                await ledger.post(session, journal, now=now)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return "unchanged"
            return "settled" if journal is not None else "voided"

    async def adjust(self, order_id: int) -> Outcome:
        """Post what a refund after settlement takes back; idempotent like `settle`."""
        async with self._sessionmaker() as session:
            attribution = await _attribution(session, order_id)
            if attribution is None or attribution.state != "settled":
                return "unchanged"
            seen, before = attribution.changes, attribution.basis_cents
            sale = await sales.read_sale(session, order_id)
            lines = sale.lines if sale is not None else ()
            basis = max(sum(lines), 0)
            journal = None
            if before is not None and basis < before:
                snapshot = await self._cache.current(session)
                found = shares(lines, _recorded(snapshot, attribution))
                posted = await ledger.posted_on_order(session, order_id)
                currency = sale.currency if sale is not None else ""
                journal = adjustment(order_id, currency, lines, found, posted)
            await session.commit()  # the claim below decides (see `settle`)
            now = self._clock()
            claimed = await session.execute(
                update(CommissionAttribution)
                .where(
                    CommissionAttribution.order_id == order_id,
                    CommissionAttribution.basis_cents == before,
                )
                .values(
                    basis_cents=min(basis, before if before is not None else basis),
                    updated_at=now,
                    review_due=CommissionAttribution.changes != seen,
                )
                .execution_options(synchronize_session=False)
            )
            if not _one_row(claimed):
                await session.rollback()
                return "unchanged"
            if journal is not None:
                await ledger.post(session, journal, now=now)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return "unchanged"
            return "adjusted" if journal is not None else "unchanged"

    async def run_forever(self, interval: float, redis: Redis | None) -> None:
        """A round every `interval` seconds; with Redis, one instance at a time does it."""
        await run_every(
            interval,
            self.run_round,
            name="commission settlement",
            redis=redis,
            lock="commission:settlement",
        )


async def _attribution(session: AsyncSession, order_id: int) -> CommissionAttribution | None:
    found: CommissionAttribution | None = await session.scalar(
        select(CommissionAttribution)
        .where(CommissionAttribution.order_id == order_id)
        .execution_options(populate_existing=True)
    )
    return found


def _beneficiaries(
    snapshot: Snapshot, attribution: CommissionAttribution, currency: str
) -> list[tuple[int, Rule | None]]:
    """Each channel of the chain with the rule in force when the order was placed."""
    return [
        (channel_id, pick_rule(snapshot.rules, channel_id, level, currency, attribution.placed_at))
        for level, channel_id in enumerate(attribution.chain)
    ]


def _recorded(
    snapshot: Snapshot, attribution: CommissionAttribution
) -> list[tuple[int, Rule | None]]:
    """The chain with the rules settlement used (rules are never changed, only replaced)."""
    used = {int(pair[0] or 0): pair[1] for pair in attribution.rules or ()}
    chain: list[tuple[int, Rule | None]] = []
    for channel_id in attribution.chain:
        rule_id = used.get(channel_id)
        chain.append((channel_id, snapshot.rule(rule_id) if rule_id is not None else None))
    return chain


def _one_row(result: object) -> bool:
    return isinstance(result, CursorResult) and result.rowcount == 1
