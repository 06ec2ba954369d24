"""Douyin's message push: verify, store once, acknowledge, then process.

A push is a JSON array of `{"tag", "msg_id", "data"}`, `data` being the event as JSON text
that names the order (`p_id`) and the shop (`shop_id`). The push is only a prompt: processing
fetches the order itself (`order.orderDetail`) and mirrors that, so a message that arrives
late, twice or out of order cannot set an older state. Messages that fail stay pending for
the periodic job to retry; after `MAX_ATTEMPTS` they are left `failed`.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import utcnow
from app.douyin import errors
from app.douyin.client import DouyinClient
from app.douyin.mirror import Mirror
from app.douyin.models import DouyinPushMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 100
STALE_CLAIM = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class PushMessage:
    tag: str
    msg_id: str
    data: str
    shop_id: str | None
    order_id: str | None


def _id(value: Any) -> str | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    return str(value)[:32]


def parse(body: bytes) -> list[PushMessage]:
    """The messages of a push body; `ValueError` for anything that is not one."""
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the body is not JSON") from None
    if not isinstance(raw, list):
        raise ValueError("the body is not a JSON array of messages")
    messages = []
    for item in raw:
        if not isinstance(item, dict) or not item.get("msg_id") or "tag" not in item:
            raise ValueError("every message needs `tag` and `msg_id`")
        data = item.get("data")
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        try:
            event = json.loads(text) if text else {}
        except json.JSONDecodeError:
            event = {}
        if not isinstance(event, dict):
            event = {}
        messages.append(
            PushMessage(
                tag=str(item["tag"])[:16],
                msg_id=str(item["msg_id"])[:64],
                data=text or "",
                shop_id=_id(event.get("shop_id")),
                order_id=_id(event.get("p_id") or event.get("order_id")),
            )
        )
    return messages


async def store(session: AsyncSession, app_key: str, messages: Sequence[PushMessage]) -> list[int]:
    """Insert the messages not seen before; the ids of the new rows. A message pushed twice at
    once is stored once: the unique key decides, and the loser finds it stored."""
    for _ in range(2):
        seen = set(
            await session.scalars(
                select(DouyinPushMessage.msg_id).where(
                    DouyinPushMessage.app_key == app_key,
                    DouyinPushMessage.msg_id.in_([m.msg_id for m in messages]),
                )
            )
        )
        rows = []
        for message in messages:
            if message.msg_id in seen:
                continue
            seen.add(message.msg_id)
            rows.append(
                DouyinPushMessage(
                    app_key=app_key,
                    msg_id=message.msg_id,
                    tag=message.tag,
                    shop_id=message.shop_id,
                    order_id=message.order_id,
                    body=message.data,
                )
            )
        session.add_all(rows)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            continue
        return [row.id for row in rows]
    raise RuntimeError("could not store the pushed messages")


async def _claim(session: AsyncSession, message_id: int) -> bool:
    result = await session.execute(
        update(DouyinPushMessage)
        .where(DouyinPushMessage.id == message_id, DouyinPushMessage.status == "pending")
        .values(status="processing", claimed_at=utcnow(), attempts=DouyinPushMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def process(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: DouyinClient,
    mirror: Mirror,
    message_id: int,
) -> bool:
    """Process one stored message if nobody else is; whether it is done."""
    async with sessionmaker() as session:
        if not await _claim(session, message_id):
            return False
        message = await session.get(DouyinPushMessage, message_id)
        assert message is not None
        shop_id, order_id, attempts = message.shop_id, message.order_id, message.attempts
    values: dict[str, Any]
    status = "done"
    try:
        if shop_id and order_id:
            detail = await client.for_shop(shop_id).order.detail(shop_order_id=order_id)
            order = detail.get("shop_order_detail") or detail
            await mirror.order(shop_id, order)
    except (errors.DouyinError, KeyError, TypeError, ValueError) as error:
        status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        values = {"status": status, "last_error": f"{type(error).__name__}: {error}"[:1000]}
        logger.warning(
            "douyin push message %s (order %s) failed: %s",
            message_id,
            order_id,
            type(error).__name__,
        )
    else:
        values = {"status": "done", "processed_at": utcnow(), "last_error": None}
    async with sessionmaker() as session:
        await session.execute(
            update(DouyinPushMessage).where(DouyinPushMessage.id == message_id).values(**values)
        )
        await session.commit()
    return status == "done"


async def process_pending(
    sessionmaker: async_sessionmaker[AsyncSession], client: DouyinClient, mirror: Mirror
) -> int:
    """Process what is pending, oldest first, and take back claims a dead worker left."""
    async with sessionmaker() as session:
        await session.execute(
            update(DouyinPushMessage)
            .where(
                DouyinPushMessage.status == "processing",
                or_(
                    DouyinPushMessage.claimed_at.is_(None),
                    DouyinPushMessage.claimed_at < utcnow() - STALE_CLAIM,
                ),
            )
            .values(status="pending")
        )
        ids = list(
            await session.scalars(
                select(DouyinPushMessage.id)
                .where(DouyinPushMessage.status == "pending")
                .order_by(DouyinPushMessage.id)
                .limit(BATCH)
            )
        )
        await session.commit()
    done = 0
    for message_id in ids:
        done += await process(sessionmaker, client, mirror, message_id)
    return done
