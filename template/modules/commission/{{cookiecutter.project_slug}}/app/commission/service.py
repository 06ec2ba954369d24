"""The admin's and the beneficiary's operations on channels, rules and the ledger.

Every change of a channel or a rule bumps the configuration's version in its own
transaction (taking a row lock, so changes to the tree take turns and a move cannot race
another into a cycle), then announces it to every process once committed.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.commission import ledger
from app.commission.cache import CONFIG_ROW, ConfigCache
from app.commission.engine import MAX_DEPTH, payout
from app.commission.models import (
    CommissionChannel,
    CommissionConfig,
    CommissionEntry,
    CommissionJournal,
    CommissionRule,
)
from app.core.db import utcnow
from app.core.errors import Code, NotFound, ShopError

MAX_OFFSET = 2**63 - 1


class ChannelNotFound(NotFound):
    msg = "Channel not found"


class CommissionInvalid(ShopError):
    """A field names something that does not exist or breaks the tree: 422."""

    status_code, code, msg = 422, Code.VALIDATION_FAILED, "Validation failed"

    def __init__(self, field: str, message: str, kind: str) -> None:
        super().__init__(data={"errors": [{"field": field, "message": message, "type": kind}]})


class CommissionConflict(ShopError):
    status_code, code, msg = 409, Code.CONFLICT, "Conflict"

    def __init__(self, field: str, message: str, kind: str) -> None:
        super().__init__(data={"errors": [{"field": field, "message": message, "type": kind}]})


@dataclass(frozen=True, slots=True)
class ChannelView:
    channel: CommissionChannel
    path: list[str]


@dataclass(frozen=True, slots=True)
class PayoutView:
    journal: CommissionJournal
    channel_id: int
    amount_cents: int
    balance_cents: int


@dataclass(frozen=True, slots=True)
class StatementLine:
    channel: CommissionChannel
    currency: str
    opening_cents: int
    credited_cents: int
    debited_cents: int

    @property
    def closing_cents(self) -> int:
        return self.opening_cents + self.credited_cents - self.debited_cents


async def _page(
    session: AsyncSession, query: Any, count: Any, page: int, limit: int
) -> tuple[list[Any], int]:
    total = int(await session.scalar(count) or 0)
    if (page - 1) * limit > MAX_OFFSET:
        return [], total
    rows = await session.scalars(query.offset((page - 1) * limit).limit(limit))
    return list(rows), total


def entry_filters(
    *,
    channel_ids: Sequence[int] | None = None,
    order_id: int | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if channel_ids is not None:
        found.append(CommissionEntry.channel_id.in_(channel_ids))
    if order_id is not None:
        found.append(CommissionEntry.order_id == order_id)
    if created_from is not None:
        found.append(CommissionEntry.created_at >= created_from)
    if created_to is not None:
        found.append(CommissionEntry.created_at < created_to)
    return found


class CommissionService:
    def __init__(self, session: AsyncSession, cache: ConfigCache) -> None:
        self.session = session
        self.cache = cache

    # -- the configuration's version -------------------------------------------------------

    async def _take_turn(self) -> int:
        """Bump the configuration's version in this transaction; concurrent changes wait."""
        bumped = await self.session.scalar(
            update(CommissionConfig)
            .where(CommissionConfig.id == CONFIG_ROW)
            .values(version=CommissionConfig.version + 1)
            .returning(CommissionConfig.version)
        )
        if bumped is None:
            raise RuntimeError("commission_config has no row; run `alembic upgrade heads`")
        return int(bumped)

    async def _commit_change(self, version: int) -> None:
        await self.session.commit()
        await self.cache.announce(version)

    # -- channels --------------------------------------------------------------------------

    async def _channel(self, channel_id: int) -> CommissionChannel:
        found = await self.session.get(CommissionChannel, channel_id, populate_existing=True)
        if found is None:
            raise ChannelNotFound()
        return found

    async def path_of(self, channel: CommissionChannel) -> list[str]:
        codes = [channel.code]
        parent = channel.parent_id
        while parent is not None and len(codes) <= MAX_DEPTH:
            row = (
                await self.session.execute(
                    select(CommissionChannel.code, CommissionChannel.parent_id).where(
                        CommissionChannel.id == parent
                    )
                )
            ).one()
            codes.append(row.code)
            parent = row.parent_id
        return codes[::-1]

    async def view(self, channel: CommissionChannel) -> ChannelView:
        return ChannelView(channel, await self.path_of(channel))

    async def get_channel(self, channel_id: int) -> ChannelView:
        return await self.view(await self._channel(channel_id))

    async def list_channels(
        self, page: int, limit: int, parent_id: int | None
    ) -> tuple[list[ChannelView], int]:
        where = [] if parent_id is None else [CommissionChannel.parent_id == parent_id]
        rows, total = await _page(
            self.session,
            select(CommissionChannel).where(*where).order_by(CommissionChannel.id),
            select(func.count(CommissionChannel.id)).where(*where),
            page,
            limit,
        )
        return [await self.view(row) for row in rows], total

    async def _check_user(self, user_id: int | None) -> None:
        if user_id is not None and await self.session.get(User, user_id) is None:
            raise CommissionInvalid("user_id", f"No user has the id {user_id}.", "not_found")

    async def _parent(self, parent_id: int) -> CommissionChannel:
        parent = await self.session.get(CommissionChannel, parent_id, populate_existing=True)
        if parent is None:
            raise CommissionInvalid("parent_id", f"No channel has the id {parent_id}.", "not_found")
        return parent

    async def create_channel(
        self,
        *,
        code: str,
        name: str,
        parent_id: int | None,
        user_id: int | None,
        active: bool,
    ) -> ChannelView:
        version = await self._take_turn()
        depth = 1
        if parent_id is not None:
            depth = (await self._parent(parent_id)).depth + 1
            if depth > MAX_DEPTH:
                raise CommissionInvalid(
                    "parent_id", f"The tree is at most {MAX_DEPTH} deep.", "too_deep"
                )
        await self._check_user(user_id)
        taken = await self.session.scalar(
            select(CommissionChannel.id).where(CommissionChannel.code == code)
        )
        if taken is not None:
            raise CommissionConflict("code", "Another channel has this code.", "duplicate")
        now = utcnow()
        channel = CommissionChannel(
            code=code,
            name=name,
            parent_id=parent_id,
            user_id=user_id,
            depth=depth,
            active=active,
            created_at=now,
            updated_at=now,
        )
        self.session.add(channel)
        await self.session.flush()
        view = await self.view(channel)
        await self._commit_change(version)
        return view

    async def _subtree(self, root: CommissionChannel) -> list[CommissionChannel]:
        """The channels below `root` (not itself)."""
        found: list[CommissionChannel] = []
        level = [root.id]
        while level:
            children = list(
                await self.session.scalars(
                    select(CommissionChannel).where(CommissionChannel.parent_id.in_(level))
                )
            )
            found += children
            level = [child.id for child in children]
        return found

    async def update_channel(self, channel_id: int, changes: dict[str, Any]) -> ChannelView:
        version = await self._take_turn()
        channel = await self._channel(channel_id)
        if "user_id" in changes:
            await self._check_user(changes["user_id"])
            channel.user_id = changes["user_id"]
        if changes.get("name") is not None:
            channel.name = changes["name"]
        if changes.get("active") is not None:
            channel.active = changes["active"]
        if "parent_id" in changes and changes["parent_id"] != channel.parent_id:
            await self._move(channel, changes["parent_id"])
        channel.updated_at = utcnow()
        await self.session.flush()
        view = await self.view(channel)
        await self._commit_change(version)
        return view

    async def _move(self, channel: CommissionChannel, parent_id: int | None) -> None:
        below = await self._subtree(channel)
        depth = 1
        if parent_id is not None:
            if parent_id == channel.id or parent_id in {c.id for c in below}:
                raise CommissionInvalid(
                    "parent_id", "A channel cannot move under itself or below it.", "cycle"
                )
            depth = (await self._parent(parent_id)).depth + 1
        shift = depth - channel.depth
        deepest = max([c.depth for c in below] + [channel.depth]) + shift
        if deepest > MAX_DEPTH:
            raise CommissionInvalid(
                "parent_id", f"The tree would be deeper than {MAX_DEPTH}.", "too_deep"
            )
        channel.parent_id = parent_id
        channel.depth = depth
        for child in below:
            child.depth += shift

    # -- rules -----------------------------------------------------------------------------

    async def list_rules(
        self, page: int, limit: int, channel_id: int | None
    ) -> tuple[list[CommissionRule], int]:
        where = [] if channel_id is None else [CommissionRule.channel_id == channel_id]
        return await _page(
            self.session,
            select(CommissionRule).where(*where).order_by(CommissionRule.id.desc()),
            select(func.count(CommissionRule.id)).where(*where),
            page,
            limit,
        )

    async def create_rule(
        self,
        *,
        channel_id: int | None,
        level: int,
        rate_bp: int,
        fixed_cents: int,
        cap_cents: int | None,
        currency: str,
        valid_from: datetime | None,
        valid_until: datetime | None,
        created_by: int | None,
    ) -> CommissionRule:
        version = await self._take_turn()
        if channel_id is not None:
            await self._channel_for_rule(channel_id)
        starts = valid_from or utcnow()
        if valid_until is not None and valid_until <= starts:
            raise CommissionInvalid(
                "valid_until", "The rule must end after it starts.", "invalid_period"
            )
        scope = (
            CommissionRule.channel_id == channel_id
            if channel_id is not None
            else CommissionRule.channel_id.is_(None)
        )
        last = await self.session.scalar(
            select(func.max(CommissionRule.version)).where(
                scope, CommissionRule.level == level, CommissionRule.currency == currency
            )
        )
        rule = CommissionRule(
            channel_id=channel_id,
            level=level,
            version=int(last or 0) + 1,
            rate_bp=rate_bp,
            fixed_cents=fixed_cents,
            cap_cents=cap_cents,
            currency=currency,
            valid_from=starts,
            valid_until=valid_until,
            created_by=created_by,
            created_at=utcnow(),
        )
        self.session.add(rule)
        await self.session.flush()
        await self._commit_change(version)
        return rule

    async def _channel_for_rule(self, channel_id: int) -> None:
        if await self.session.get(CommissionChannel, channel_id) is None:
            raise CommissionInvalid(
                "channel_id", f"No channel has the id {channel_id}.", "not_found"
            )

    # -- the ledger ------------------------------------------------------------------------

    async def list_entries(
        self, page: int, limit: int, filters: list[ColumnElement[bool]]
    ) -> tuple[list[CommissionEntry], int]:
        return await _page(
            self.session,
            select(CommissionEntry)
            .where(*filters)
            .order_by(CommissionEntry.created_at.desc(), CommissionEntry.id.desc()),
            select(func.count(CommissionEntry.id)).where(*filters),
            page,
            limit,
        )

    async def list_balances(
        self, page: int, limit: int
    ) -> tuple[list[tuple[ledger.Balance, str]], int]:
        found = await ledger.balances(self.session)
        total = len(found)
        chosen = found[(page - 1) * limit : page * limit] if (page - 1) * limit < total else []
        codes = await self._codes([balance.channel_id for balance in chosen])
        return [(balance, codes[balance.channel_id]) for balance in chosen], total

    async def _codes(self, channel_ids: Sequence[int]) -> dict[int, str]:
        rows = await self.session.execute(
            select(CommissionChannel.id, CommissionChannel.code).where(
                CommissionChannel.id.in_(channel_ids)
            )
        )
        return {int(channel_id): code for channel_id, code in rows}

    async def create_payout(
        self,
        *,
        channel_id: int,
        amount_cents: int,
        currency: str,
        reference: str,
        note: str | None,
        created_by: int | None,
    ) -> PayoutView:
        """Record a payout once per reference; never more than the channel's balance."""
        journal = payout(reference, channel_id, currency, amount_cents)
        # A write first: it locks the channel's row (PostgreSQL) or the database (SQLite)
        # until the commit, so two payouts of one channel cannot both spend its balance.
        locked = await self.session.execute(
            update(CommissionChannel)
            .where(CommissionChannel.id == channel_id)
            .values(updated_at=CommissionChannel.updated_at)
        )
        if not isinstance(locked, CursorResult) or locked.rowcount != 1:
            raise CommissionInvalid(
                "channel_id", f"No channel has the id {channel_id}.", "not_found"
            )
        recorded = await self._recorded_payout(journal.key)
        if recorded is not None:
            return await self._same_payout(recorded, channel_id, amount_cents, currency)
        balance = await ledger.balance_of(self.session, channel_id, currency)
        if amount_cents > balance:
            raise CommissionConflict(
                "amount_cents",
                f"The channel is owed {balance} {currency}; {amount_cents} is more.",
                "insufficient_balance",
            )
        try:
            row = await ledger.post(
                self.session,
                journal,
                now=utcnow(),
                created_by=created_by,
                reference=reference,
                note=note,
            )
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            recorded = await self._recorded_payout(journal.key)
            if recorded is None:
                raise
            return await self._same_payout(recorded, channel_id, amount_cents, currency)
        return PayoutView(row, channel_id, amount_cents, balance - amount_cents)

    async def _recorded_payout(self, key: str) -> CommissionJournal | None:
        found: CommissionJournal | None = await self.session.scalar(
            select(CommissionJournal).where(CommissionJournal.key == key)
        )
        return found

    async def _same_payout(
        self, journal: CommissionJournal, channel_id: int, amount_cents: int, currency: str
    ) -> PayoutView:
        entry = await self.session.scalar(
            select(CommissionEntry).where(
                CommissionEntry.journal_id == journal.id,
                CommissionEntry.channel_id.is_not(None),
            )
        )
        same = (
            entry is not None
            and entry.channel_id == channel_id
            and entry.amount_cents == amount_cents
            and journal.currency == currency
        )
        if not same:
            raise CommissionConflict(
                "reference", "This reference was used for another payout.", "duplicate"
            )
        balance = await ledger.balance_of(self.session, channel_id, currency)
        return PayoutView(journal, channel_id, amount_cents, balance)

    # -- a beneficiary's own ---------------------------------------------------------------

    async def channels_of(self, user_id: int) -> list[CommissionChannel]:
        return list(
            await self.session.scalars(
                select(CommissionChannel)
                .where(CommissionChannel.user_id == user_id)
                .order_by(CommissionChannel.id)
            )
        )

    async def statement(
        self, user_id: int, created_from: datetime, created_to: datetime
    ) -> list[StatementLine]:
        channels = {c.id: c for c in await self.channels_of(user_id)}
        if not channels:
            return []
        ids = list(channels)
        opening = {
            (b.channel_id, b.currency): b.balance_cents
            for b in await ledger.balances(self.session, ids, before=created_from)
        }
        rows = await self.session.execute(
            select(
                CommissionEntry.channel_id,
                CommissionEntry.currency,
                CommissionEntry.side,
                func.sum(CommissionEntry.amount_cents),
            )
            .where(
                *entry_filters(channel_ids=ids, created_from=created_from, created_to=created_to)
            )
            .group_by(CommissionEntry.channel_id, CommissionEntry.currency, CommissionEntry.side)
        )
        moved: dict[tuple[int, str], dict[str, int]] = {}
        for channel_id, currency, side, total in rows:
            if channel_id is not None:
                moved.setdefault((int(channel_id), currency), {})[side] = int(total or 0)
        keys = sorted(set(opening) | set(moved))
        return [
            StatementLine(
                channels[channel_id],
                currency,
                opening.get((channel_id, currency), 0),
                moved.get((channel_id, currency), {}).get("credit", 0),
                moved.get((channel_id, currency), {}).get("debit", 0),
            )
            for channel_id, currency in keys
        ]
