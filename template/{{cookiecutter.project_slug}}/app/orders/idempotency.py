"""`Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header), per user.

A key is claimed by inserting its row before the work starts; the unique (user, key) index
makes a concurrent duplicate fail that insert. The work's answer is written into the row in
the work's own transaction, so an order and its recorded answer commit together. Then:
same key and body → the recorded answer again; another body → 422 (42202); still running →
409 (40903). A 5xx drops the row, so a retry runs afresh.

A request can die with its row still unanswered (its instance crashed, was killed, lost its
network). On PostgreSQL the transaction that writes the work and its answer holds the row
locked (`hold`, `FOR UPDATE`), and a dead request's lock goes with its connection: a retry
that finds the row unanswered and unlocked takes the key over at once, so the clients of a
crashed instance are served on their first retry, not after a minute. The takeover is safe
against a request that was only slow (still before its transaction): the answer is written
only into the row it claimed, so a claim taken over raises and rolls its work back. SQLite,
one machine and no row locks, waits out `ABANDONED_AFTER`.
"""

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Integer,
    Table,
    Text,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.db import utcnow
from app.core.errors import Code, ShopError
from app.orders.models import IdempotencyRecord

logger = logging.getLogger(__name__)

# A row still without an answer after this long belongs to a request that died (a crash
# before its transaction committed): the key may be claimed again.
ABANDONED_AFTER = timedelta(seconds=60)
# A claim that could not be released (the database was down) is retried this often, this long.
RELEASE_RETRY_SECONDS = 1.0
RELEASE_RETRY_FOR = timedelta(minutes=10)
_pending_releases: set[asyncio.Task[None]] = set()


class IdempotencyInProgress(ShopError):
    status_code, code = 409, Code.IDEMPOTENCY_IN_PROGRESS
    msg = "A request with this Idempotency-Key is in progress"

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


class IdempotencyKeyReused(ShopError):
    status_code, code = 422, Code.IDEMPOTENCY_KEY_REUSED
    msg = "Idempotency-Key was used with a different request body"


@dataclass(frozen=True, slots=True)
class Claim:
    """A key this request holds: its row's id."""

    record_id: int


@dataclass(frozen=True, slots=True)
class Answer:
    """A response as recorded: replayed byte for byte-equivalent JSON."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def error_body(error: ShopError) -> dict[str, Any]:
    """The envelope of an error, as an answer to record."""
    return {"code": int(error.code), "data": error.data, "msg": error.msg}


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method.upper()}\n{path}\n{canonical}".encode()).hexdigest()


class IdempotencyKeys:
    def __init__(self, session: AsyncSession, ttl: timedelta) -> None:
        self.session = session
        self.ttl = ttl

    async def claim(self, user_id: int, key: str, digest: str) -> Claim | Answer:
        """The new row to record the answer in, or the answer recorded before."""
        for _ in range(3):
            now = utcnow()
            record = IdempotencyRecord(
                user_id=user_id,
                key=key,
                fingerprint=digest,
                created_at=now,
                expires_at=now + self.ttl,
            )
            self.session.add(record)
            try:
                await self.session.commit()
                return Claim(record.id)
            except IntegrityError:
                await self.session.rollback()
            existing = await self.session.scalar(
                select(IdempotencyRecord)
                .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
                .execution_options(populate_existing=True)
            )
            if existing is None:
                continue  # dropped meanwhile
            if existing.expires_at <= now or await self._abandoned(existing, now):
                await self.session.execute(
                    delete(IdempotencyRecord).where(
                        IdempotencyRecord.id == existing.id,
                        IdempotencyRecord.created_at == existing.created_at,
                    )
                )
                await self.session.commit()
                continue
            if existing.fingerprint != digest:
                raise IdempotencyKeyReused()
            if existing.status_code is None or existing.response is None:
                raise IdempotencyInProgress()
            return Answer(existing.status_code, existing.response, replayed=True)
        raise IdempotencyInProgress()

    async def claim_together(self, asks: Sequence[tuple[int, str, str]]) -> list[Claim | None]:
        """Claim keys (user, key, fingerprint) in the caller's transaction: a claim per key,
        or None for a key the database has already (or that a transaction committed first),
        to be answered the way `claim` answers it. The rows go in key order, so two such
        transactions cannot each wait for the other's."""
        now = utcnow()
        rows = [
            {
                "user_id": user_id,
                "key": key,
                "fingerprint": digest,
                "created_at": now,
                "expires_at": now + self.ttl,
            }
            for user_id, key, digest in sorted(asks)
        ]
        insert = sqlite.insert if not self._row_locks else postgresql.insert
        claimed = await self.session.execute(
            insert(IdempotencyRecord)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(IdempotencyRecord.id, IdempotencyRecord.user_id, IdempotencyRecord.key)
        )
        ids = {(user_id, key): record_id for record_id, user_id, key in claimed}
        return [
            Claim(ids[user_id, key]) if (user_id, key) in ids else None for user_id, key, _ in asks
        ]

    async def record_together(self, answers: Sequence[tuple[Claim, Answer]]) -> None:
        """Put each answer in its claim's row, in the caller's transaction: on PostgreSQL in
        one statement, the answers sent as arrays (one UPDATE a row would cost the server a
        statement each)."""
        if not answers:
            return
        table = cast(Table, IdempotencyRecord.__table__)
        if self._row_locks:
            ids = [claim.record_id for claim, _ in answers]
            codes = [answer.status_code for _, answer in answers]
            bodies = [json.dumps(answer.body) for _, answer in answers]
            given = (
                func.unnest(
                    bindparam("ids", ids, postgresql.ARRAY(BigInteger)),
                    bindparam("codes", codes, postgresql.ARRAY(Integer)),
                    bindparam("bodies", bodies, postgresql.ARRAY(Text)),
                )
                .table_valued("id", "status_code", "response")
                .render_derived(name="answers")
            )
            await self.session.execute(
                update(table)
                .where(table.c.id == given.c.id)
                .values(status_code=given.c.status_code, response=given.c.response.cast(JSON))
            )
            return
        await self.session.execute(
            update(table)
            .where(table.c.id == bindparam("claim_id"))
            .values(status_code=bindparam("answer_status"), response=bindparam("answer_body")),
            [
                {
                    "claim_id": claim.record_id,
                    "answer_status": answer.status_code,
                    "answer_body": answer.body,
                }
                for claim, answer in answers
            ],
        )

    async def forget(self, claims: Sequence[Claim]) -> None:
        """Delete claims in the caller's transaction: their requests failed for a reason
        that is not theirs (5xx), and a retry should run afresh."""
        if claims:
            ids = [claim.record_id for claim in claims]
            await self.session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids))
            )

    @property
    def _row_locks(self) -> bool:
        return self.session.get_bind().dialect.name != "sqlite"

    async def hold(self, claim: Claim) -> None:
        """Lock the claim's row for the rest of the caller's transaction, the one that
        records the answer (PostgreSQL): the sign that this request lives. A retry that took
        the key over before raises `IdempotencyInProgress`."""
        if not self._row_locks:
            return
        held = await self.session.scalar(
            select(IdempotencyRecord.id)
            .where(IdempotencyRecord.id == claim.record_id)
            .with_for_update()
        )
        if held is None:
            raise IdempotencyInProgress()

    async def _abandoned(self, existing: IdempotencyRecord, now: datetime) -> bool:
        """An unanswered row whose request is gone: nobody holds its lock (PostgreSQL), or it
        is older than `ABANDONED_AFTER` (SQLite)."""
        if existing.status_code is not None:
            return False
        if not self._row_locks:
            return existing.created_at < now - ABANDONED_AFTER
        unheld = await self.session.scalar(
            select(IdempotencyRecord.id)
            .where(IdempotencyRecord.id == existing.id, IdempotencyRecord.status_code.is_(None))
            .with_for_update(skip_locked=True)
        )
        return unheld is not None  # and locked by us until the caller deletes it

    async def record(self, claim: Claim, answer: Answer) -> None:
        """Put the answer in the row, as part of the caller's transaction; a claim taken over
        meanwhile raises `IdempotencyInProgress`, and the caller's work rolls back."""
        result = await self.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == claim.record_id)
            .values(status_code=answer.status_code, response=answer.body)
        )
        if getattr(result, "rowcount", 1) == 0:
            raise IdempotencyInProgress()

    async def record_now(self, claim: Claim, answer: Answer) -> None:
        await self.record(claim, answer)
        await self.session.commit()

    async def drop(self, claim: Claim) -> None:
        """Release the claim of an attempt that failed, so a retry runs at once. When the
        database cannot be reached now (the likely reason the attempt failed), keep trying
        in the background rather than leave the key "in progress"."""
        try:
            await _delete(self.session, claim)
        except (DBAPIError, ConnectionError, TimeoutError) as error:
            logger.warning("idempotency claim %s not released yet: %r", claim.record_id, error)
            bind = self.session.bind
            if isinstance(bind, AsyncEngine):
                task = asyncio.create_task(_release_later(bind, claim))
                _pending_releases.add(task)
                task.add_done_callback(_pending_releases.discard)

    async def purge_expired(self) -> int:
        result = await self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= utcnow())
        )
        await self.session.commit()
        return int(getattr(result, "rowcount", 0) or 0)


async def _delete(session: AsyncSession, claim: Claim) -> None:
    await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == claim.record_id))
    await session.commit()


async def _release_later(engine: AsyncEngine, claim: Claim) -> None:
    deadline = utcnow() + RELEASE_RETRY_FOR
    while utcnow() < deadline:
        await asyncio.sleep(RELEASE_RETRY_SECONDS)
        try:
            async with AsyncSession(engine) as session:
                await _delete(session, claim)
        except (DBAPIError, ConnectionError, TimeoutError):
            continue
        logger.info("idempotency claim %s released", claim.record_id)
        return
