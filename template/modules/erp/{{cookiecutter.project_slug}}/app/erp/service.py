"""The admin side: the outbox's state, dead letters and their replay."""

from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core.db import utcnow
from app.core.errors import Code, NotFound, ShopError
from app.erp.delivery import outbox_counts
from app.erp.models import ErpOutbox
from app.erp.outbox import DEAD, DELIVERED, DELIVERING, PENDING
from app.erp.runtime import ErpRuntime


class LetterNotFound(NotFound):
    msg = "Dead letter not found"


class NotReplayable(ShopError):
    status_code, code, msg = 409, Code.ILLEGAL_TRANSITION, "This letter cannot be replayed"


def _newer_exists() -> Any:
    newer = aliased(ErpOutbox)
    return exists().where(
        newer.entity == ErpOutbox.entity,
        newer.entity_id == ErpOutbox.entity_id,
        newer.version > ErpOutbox.version,
        newer.status.in_((PENDING, DELIVERING, DELIVERED)),
    )


def letter_view(row: ErpOutbox, superseded: bool) -> dict[str, Any]:
    return {
        "id": row.id,
        "sync_id": row.sync_id,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "version": row.version,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "failed_at": row.failed_at,
        "superseded": superseded,
    }


class ErpAdmin:
    def __init__(self, session: AsyncSession, runtime: ErpRuntime) -> None:
        self.session = session
        self.runtime = runtime

    async def outbox(self) -> dict[str, Any]:
        counts, oldest = await outbox_counts(self.runtime.sessionmaker)
        last: datetime | None = await self.session.scalar(select(func.max(ErpOutbox.delivered_at)))
        lag = int((utcnow() - oldest).total_seconds()) if oldest is not None else 0
        if self.runtime.deliverer is not None:
            await self.runtime.deliverer.observe()
        return {
            "enabled": self.runtime.settings.delivering,
            "pending": counts.get(PENDING, 0),
            "delivering": counts.get(DELIVERING, 0),
            "delivered": counts.get(DELIVERED, 0),
            "superseded": counts.get("superseded", 0),
            "dead": counts.get(DEAD, 0),
            "oldest_pending_at": oldest,
            "lag_seconds": max(lag, 0),
            "last_delivered_at": last,
        }

    async def dead_letters(self, page: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        total = await self.session.scalar(
            select(func.count()).select_from(ErpOutbox).where(ErpOutbox.status == DEAD)
        )
        rows = await self.session.execute(
            select(ErpOutbox, _newer_exists().label("superseded"))
            .where(ErpOutbox.status == DEAD)
            .order_by(ErpOutbox.failed_at.desc(), ErpOutbox.id.desc())
            .offset((page - 1) * limit)
            .limit(limit)
        )
        return [letter_view(row, bool(superseded)) for row, superseded in rows], total or 0

    async def replay(self, letter_id: int) -> dict[str, Any]:
        row = await self.session.get(ErpOutbox, letter_id, populate_existing=True)
        if row is None:
            raise LetterNotFound()
        if row.status != DEAD:
            raise NotReplayable(f"The letter is {row.status}, not dead")
        superseded = bool(
            await self.session.scalar(select(_newer_exists()).where(ErpOutbox.id == letter_id))
        )
        if superseded:
            raise NotReplayable("A newer version of this entity supersedes the letter")
        result = await self.session.execute(
            update(ErpOutbox)
            .where(ErpOutbox.id == letter_id, ErpOutbox.status == DEAD)
            .values(status=PENDING, attempts=0, next_attempt_at=utcnow(), failed_at=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.commit()
        assert isinstance(result, CursorResult)
        if result.rowcount != 1:
            raise NotReplayable("The letter changed while it was being replayed")
        row = await self.session.get(ErpOutbox, letter_id, populate_existing=True)
        assert row is not None
        return letter_view(row, False)
