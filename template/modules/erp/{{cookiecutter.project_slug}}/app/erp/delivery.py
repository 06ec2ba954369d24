"""Delivering the outbox to the ERP, in order per entity.

A round takes back claims a dead worker left (`ERP_CLAIM_TIMEOUT`), then claims due rows,
each with a conditional update (pending → delivering), so any number of workers in any
number of processes deliver a row once at a time. A row waits while an older version of its
entity is being delivered: per entity, versions go out in order. Different entities go out
concurrently, at most `ERP_CONCURRENCY` at once.

Backoff after the n-th failed attempt: d = min(ERP_RETRY_CAP, ERP_RETRY_BASE * 2^(n-1)),
then a wait uniformly between d/2 and d, so workers that failed together spread out.
"""

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
from sqlalchemy import exists, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from app.core.db import utcnow
from app.core.tasks import run_every
from app.erp import signing
from app.erp.config import ErpSettings
from app.erp.metrics import STATUSES, ErpMetrics
from app.erp.models import ErpOutbox
from app.erp.outbox import DEAD, DELIVERED, DELIVERING, PENDING

logger = logging.getLogger(__name__)

Outcome = Literal["delivered", "retried", "dead"]
Clock = Callable[[], datetime]
# Answers that say "try again later"; any other 4xx is a refusal that retrying cannot fix.
RETRYABLE = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    sync_id: str
    entity: str
    entity_id: int
    version: int
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


def body_of(row: Claimed) -> bytes:
    document = {
        "sync_id": row.sync_id,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "version": row.version,
        "changed_at": row.created_at.isoformat(),
        "data": row.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


class Deliverer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        settings: ErpSettings,
        metrics: ErpMetrics | None = None,
        *,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if not settings.delivering:
            raise ValueError("ERP_BASE_URL and ERP_SECRET are required to deliver")
        assert settings.base_url is not None and settings.secret is not None
        self._sessionmaker = sessionmaker
        self._http = http
        self._settings = settings
        self._url = settings.base_url
        self._secret = settings.secret.get_secret_value()
        self._metrics = metrics
        self._clock = clock
        self._rng = rng or random.Random()

    def backoff(self, attempts: int) -> timedelta:
        ceiling = min(self._settings.retry_cap, self._settings.retry_base * 2 ** (attempts - 1))
        return timedelta(seconds=self._rng.uniform(ceiling / 2, ceiling))

    async def run_round(self) -> int:
        """Deliver what is due now; how many the ERP accepted."""
        claimed = await self._claim()
        gate = asyncio.Semaphore(self._settings.concurrency)

        async def one(row: Claimed) -> Outcome:
            async with gate:
                return await self._deliver(row)

        outcomes = await asyncio.gather(*(one(row) for row in claimed))
        await self.observe()
        return sum(1 for outcome in outcomes if outcome == "delivered")

    async def run_forever(self, interval: float) -> None:
        """Rounds every `interval` seconds, and one after the other while whole batches go."""
        await run_every(interval, self._delivered_a_batch, name="erp delivery")

    async def _delivered_a_batch(self) -> bool:
        return await self.run_round() >= self._settings.batch

    async def _claim(self) -> list[Claimed]:
        now = self._clock()
        stale = now - timedelta(seconds=self._settings.claim_timeout)
        older = aliased(ErpOutbox)
        async with self._sessionmaker() as session:
            await session.execute(
                update(ErpOutbox)
                .where(ErpOutbox.status == DELIVERING, ErpOutbox.claimed_at < stale)
                .values(status=PENDING)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            rows = list(
                await session.scalars(
                    select(ErpOutbox)
                    .where(
                        ErpOutbox.status == PENDING,
                        ErpOutbox.next_attempt_at <= now,
                        ~exists().where(
                            older.entity == ErpOutbox.entity,
                            older.entity_id == ErpOutbox.entity_id,
                            older.status == DELIVERING,
                            older.version < ErpOutbox.version,
                        ),
                    )
                    .order_by(ErpOutbox.id)
                    .limit(self._settings.batch)
                )
            )
            claimed: list[Claimed] = []
            taken: set[tuple[str, int]] = set()
            for row in rows:
                if (row.entity, row.entity_id) in taken:
                    continue
                result = await session.execute(
                    update(ErpOutbox)
                    .where(ErpOutbox.id == row.id, ErpOutbox.status == PENDING)
                    .values(status=DELIVERING, claimed_at=now, attempts=ErpOutbox.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                assert isinstance(result, CursorResult)
                if result.rowcount == 1:
                    taken.add((row.entity, row.entity_id))
                    claimed.append(
                        Claimed(
                            row.id,
                            row.sync_id,
                            row.entity,
                            row.entity_id,
                            row.version,
                            row.payload,
                            row.attempts + 1,
                            row.created_at,
                        )
                    )
            await session.commit()
        return claimed

    async def _deliver(self, row: Claimed) -> Outcome:
        body = body_of(row)
        timestamp = str(int(self._clock().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": row.sync_id,
            "X-Shopgen-Sync-Id": row.sync_id,
            signing.TIMESTAMP_HEADER: timestamp,
            signing.SIGNATURE_HEADER: signing.signature(self._secret, timestamp, body),
        }
        started = time.monotonic()
        error: str | None = None
        refused = False
        try:
            response = await self._http.post(
                self._url, content=body, headers=headers, timeout=self._settings.timeout
            )
        except httpx.TimeoutException:
            error = f"no answer in {self._settings.timeout}s"
        except httpx.TransportError as failure:
            error = f"{type(failure).__name__}"
        else:
            if not response.is_success:
                error = f"ERP answered {response.status_code}: {response.text[:200]}"
                status = response.status_code
                refused = 400 <= status < 500 and status not in RETRYABLE
        finally:
            if self._metrics is not None:
                self._metrics.duration.observe(time.monotonic() - started)
        outcome: Outcome
        if error is None:
            outcome = "delivered"
        elif refused or row.attempts >= self._settings.max_attempts:
            outcome = "dead"
        else:
            outcome = "retried"
        await self._settle(row, outcome, error)
        if self._metrics is not None:
            self._metrics.deliveries.labels(outcome).inc()
        log = logger.info if outcome == "delivered" else logger.warning
        log(
            "erp delivery sync_id=%s attempt=%d outcome=%s%s",
            row.sync_id,
            row.attempts,
            outcome,
            f" error={error}" if error else "",
        )
        return outcome

    async def _settle(self, row: Claimed, outcome: Outcome, error: str | None) -> None:
        now = self._clock()
        values: dict[str, Any]
        if outcome == "delivered":
            values = {"status": DELIVERED, "delivered_at": now, "last_error": None}
        elif outcome == "dead":
            values = {"status": DEAD, "failed_at": now, "last_error": error}
        else:
            values = {
                "status": PENDING,
                "next_attempt_at": now + self.backoff(row.attempts),
                "last_error": error,
            }
        async with self._sessionmaker() as session:
            await session.execute(
                update(ErpOutbox)
                .where(ErpOutbox.id == row.id, ErpOutbox.status == DELIVERING)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def observe(self) -> None:
        """Bring the row and lag gauges up to date."""
        if self._metrics is None:
            return
        counts, oldest = await outbox_counts(self._sessionmaker)
        for status in STATUSES:
            self._metrics.rows.labels(status).set(counts.get(status, 0))
        lag = (self._clock() - oldest).total_seconds() if oldest is not None else 0.0
        self._metrics.lag.set(max(lag, 0.0))


async def outbox_counts(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> tuple[dict[str, int], datetime | None]:
    """Rows by status, and when the oldest undelivered change was made."""
    async with sessionmaker() as session:
        counts = {
            status: int(count)
            for status, count in await session.execute(
                select(ErpOutbox.status, func.count()).group_by(ErpOutbox.status)
            )
        }
        oldest = await session.scalar(
            select(func.min(ErpOutbox.created_at)).where(
                ErpOutbox.status.in_((PENDING, DELIVERING))
            )
        )
    return counts, oldest
