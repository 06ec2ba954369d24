"""Writing the outbox: the change listener the core services reach through
`app.core.changes.record`, inside the transaction that made the change.

Each call reads the entity's state; if it differs from the last version written (by digest),
the entity's version grows by one, an outbox row `<entity>:<id>:<version>` is added, and any
older row of the same entity still waiting is marked `superseded`: it would only deliver a
state the new row replaces. The version row is read after the core's write has locked the
entity's row, so concurrent changes of one entity get consecutive versions in commit order.
"""

import hashlib
import json
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import Entity
from app.core.db import utcnow
from app.erp.models import ErpEntityVersion, ErpOutbox
from app.erp.snapshots import READERS

PENDING, DELIVERING, DELIVERED = "pending", "delivering", "delivered"
SUPERSEDED, DEAD = "superseded", "dead"


def sync_id(entity: str, entity_id: int, version: int) -> str:
    return f"{entity}:{entity_id}:{version}"


def _digest(state: dict[str, Any]) -> str:
    text = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def write(session: AsyncSession, entity: Entity, entity_id: int) -> None:
    """Record `entity` `entity_id`'s current state for delivery, if it changed."""
    state = await READERS[entity](session, entity_id)
    if state is None:
        return
    digest = _digest(state)
    known = await session.get(ErpEntityVersion, (entity, entity_id), populate_existing=True)
    if known is not None and known.digest == digest:
        return
    now = utcnow()
    if known is None:
        version = 1
        session.add(
            ErpEntityVersion(
                entity=entity, entity_id=entity_id, version=1, digest=digest, updated_at=now
            )
        )
    else:
        version = known.version + 1
        known.version, known.digest, known.updated_at = version, digest, now
    await session.execute(
        update(ErpOutbox)
        .where(
            ErpOutbox.entity == entity,
            ErpOutbox.entity_id == entity_id,
            ErpOutbox.status == PENDING,
        )
        .values(status=SUPERSEDED)
        .execution_options(synchronize_session=False)
    )
    session.add(
        ErpOutbox(
            sync_id=sync_id(entity, entity_id, version),
            entity=entity,
            entity_id=entity_id,
            version=version,
            payload=state,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    await session.flush()
