"""A period of the ledger as CSV, for the accountant: one row per entry, oldest first, UTF-8
with a byte order mark (so Excel reads it), amounts in minor units, times in RFC 3339 (UTC).
Entries are read in pages of `BATCH` by (created_at, id), so memory stays flat however long
the period. Every value is a number, a code or a fixed word: nothing a spreadsheet could take
for a formula.
"""

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.commission.models import CommissionChannel, CommissionEntry

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BATCH = 1000
COLUMNS = (
    "entry_id",
    "journal_id",
    "created_at",
    "kind",
    "order_id",
    "account",
    "channel_id",
    "channel_code",
    "side",
    "amount_cents",
    "currency",
    "level",
    "rule_id",
    "rule_version",
)


def _blank(value: object) -> object:
    return "" if value is None else value


def entry_row(entry: CommissionEntry, code: str | None) -> Sequence[Any]:
    return (
        entry.id,
        entry.journal_id,
        entry.created_at.isoformat(),
        entry.kind,
        _blank(entry.order_id),
        entry.account,
        _blank(entry.channel_id),
        _blank(code),
        entry.side,
        entry.amount_cents,
        entry.currency,
        _blank(entry.level),
        _blank(entry.rule_id),
        _blank(entry.rule_version),
    )


def _csv(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


async def export_rows(
    sessionmaker: async_sessionmaker[AsyncSession], filters: Sequence[ColumnElement[bool]]
) -> AsyncIterator[str]:
    yield "\ufeff" + _csv([COLUMNS])
    after: tuple[datetime, int] | None = None
    async with sessionmaker() as session:
        while True:
            query = (
                select(CommissionEntry, CommissionChannel.code)
                .outerjoin(CommissionChannel, CommissionChannel.id == CommissionEntry.channel_id)
                .where(*filters)
                .order_by(CommissionEntry.created_at, CommissionEntry.id)
                .limit(BATCH)
            )
            if after is not None:
                query = query.where(
                    tuple_(CommissionEntry.created_at, CommissionEntry.id) > tuple_(*after)
                )
            batch = (await session.execute(query)).all()
            if not batch:
                return
            yield _csv(entry_row(entry, code) for entry, code in batch)
            last = batch[-1][0]
            after = (last.created_at, last.id)
            session.expunge_all()
