"""Reporting parcels to WeChat's shipping information, until WeChat has them.

A parcel of an order paid through WeChat Pay starts `pending` and is sent right after it is
recorded; when that attempt cannot reach WeChat, or WeChat is busy, the upkeep job sends it
again after 30 s, then twice as long each time (at most an hour), until WeChat accepts it
(`synced`) or `SHIPPING_SYNC_ATTEMPTS` are spent (`failed`). A refusal that no retry can fix
(a parcel WeChat rejects) is `failed` at once. Each attempt is claimed by a conditional
update of `wechat_next_attempt_at`, so two workers never send the same parcel at once.

Every upload carries all the order's parcels so far: split delivery (`delivery_mode` 2) with
`is_all_delivered` once nothing is left to ship, or unified delivery (1) for an order that
left in a single parcel. An upload that succeeds thus reports the parcels before it too.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.db import utcnow
from app.fulfilment.models import Shipment
from app.fulfilment.wechat import ShippingUploader
from app.orders.models import Order
from app.orders.state import ShippingStatus
from app.payments.models import Payment

logger = logging.getLogger(__name__)

PENDING, SYNCED, FAILED = "pending", "synced", "failed"
# An attempt in flight holds the parcel this long; a worker that died lets it go after.
LEASE = timedelta(minutes=2)
FIRST_PAUSE_SECONDS = 30
LONGEST_PAUSE_SECONDS = 3600
MAX_PARCELS = 15  # WeChat's limit per payment
ITEM_DESC_LENGTH = 120
BEIJING = timezone(timedelta(hours=8))
DUE_BATCH = 50


def pause(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    seconds = FIRST_PAUSE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, LONGEST_PAUSE_SECONDS))


def masked(phone: str) -> str:
    """WeChat wants contacts masked, the last four digits shown: `138****8000`."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) <= 4:
        return digits
    head = digits[:3] if len(digits) >= 11 else ""
    return head + "*" * (len(digits) - len(head) - 4) + digits[-4:]


def _item_desc(shipment: Shipment, titles: dict[int, str]) -> str:
    parts = [f"{titles.get(item.order_item_id, '')}*{item.quantity}" for item in shipment.items]
    return "；".join(parts)[:ITEM_DESC_LENGTH] or "商品"


def upload_payload(
    order: Order,
    payment: Payment,
    openid: str,
    parcels: Sequence[Shipment],
    *,
    mch_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The body of `upload_shipping_info` for every parcel of `order` so far."""
    titles = {
        item.id: f"{item.title} {item.variant_title}".strip()
        if item.variant_title != "Default"
        else item.title
        for item in order.items
    }
    if payment.transaction_id:
        order_key: dict[str, Any] = {
            "order_number_type": 2,
            "transaction_id": payment.transaction_id,
        }
    else:
        order_key = {"order_number_type": 1, "mchid": mch_id, "out_trade_no": payment.out_trade_no}
    complete = order.shipping_status == ShippingStatus.SHIPPED
    phone = (order.shipping_address or {}).get("phone")
    shipping_list = []
    for parcel in parcels:
        entry: dict[str, Any] = {
            "tracking_no": parcel.tracking_number,
            "express_company": parcel.carrier_code,
            "item_desc": _item_desc(parcel, titles),
        }
        if phone:
            entry["contact"] = {"receiver_contact": masked(str(phone))}
        shipping_list.append(entry)
    payload: dict[str, Any] = {
        "order_key": order_key,
        "logistics_type": 1,
        "delivery_mode": 1 if complete and len(parcels) == 1 else 2,
        "shipping_list": shipping_list,
        "upload_time": now.astimezone(BEIJING).isoformat(timespec="milliseconds"),
        "payer": {"openid": openid},
    }
    if payload["delivery_mode"] == 2:
        payload["is_all_delivered"] = complete
    return payload


async def _claim(session: AsyncSession, shipment_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(Shipment)
        .where(
            Shipment.id == shipment_id,
            Shipment.wechat_sync_status == PENDING,
            or_(
                Shipment.wechat_next_attempt_at.is_(None),
                Shipment.wechat_next_attempt_at <= now,
            ),
        )
        .values(
            wechat_next_attempt_at=now + LEASE,
            wechat_sync_attempts=Shipment.wechat_sync_attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def sync_shipment(
    sessionmaker: async_sessionmaker[AsyncSession],
    uploader: ShippingUploader,
    shipment_id: int,
    *,
    max_attempts: int,
    now: datetime | None = None,
) -> str | None:
    """One attempt at reporting a parcel, with the rest of its order's; its new sync status,
    or None when it was not due or another worker holds it."""
    now = now or utcnow()
    async with sessionmaker() as session:
        if not await _claim(session, shipment_id, now):
            return None
        shipment = await session.get(Shipment, shipment_id)
        assert shipment is not None
        order = await session.scalar(
            select(Order).options(selectinload(Order.items)).where(Order.id == shipment.order_id)
        )
        assert order is not None
        parcels = list(
            await session.scalars(
                select(Shipment)
                .options(selectinload(Shipment.items))
                .where(Shipment.order_id == order.id)
                .order_by(Shipment.id)
            )
        )
        payment = await session.scalar(
            select(Payment)
            .where(
                Payment.order_id == order.id,
                Payment.channel == "wechat",
                Payment.status == "succeeded",
            )
            .order_by(Payment.id.desc())
            .limit(1)
        )
        openid = (
            await session.scalar(select(User.wechat_openid).where(User.id == order.user_id))
            if order.user_id is not None
            else None
        )
        attempts = shipment.wechat_sync_attempts
        error: str | None
        if payment is None or not openid:
            status, error = FAILED, "the order was not paid through WeChat Pay by a WeChat user"
        elif len(parcels) > MAX_PARCELS:
            status, error = FAILED, f"WeChat takes at most {MAX_PARCELS} parcels per payment"
        else:
            payload = upload_payload(
                order, payment, openid, parcels, mch_id=uploader.mch_id, now=now
            )
            result = await uploader.upload(payload)
            status, error = result.outcome, result.error
            if status == "retry":
                status = FAILED if attempts >= max_attempts else PENDING
        values: dict[str, Any] = {"wechat_sync_status": status, "wechat_sync_error": error}
        if status == SYNCED:
            # The upload carried every parcel so far: they are all reported now.
            await session.execute(
                update(Shipment)
                .where(
                    Shipment.id.in_([parcel.id for parcel in parcels]),
                    Shipment.wechat_sync_status.in_((PENDING, FAILED)),
                )
                .values(
                    wechat_sync_status=SYNCED,
                    wechat_sync_error=None,
                    wechat_synced_at=utcnow(),
                    wechat_next_attempt_at=None,
                )
                .execution_options(synchronize_session=False)
            )
        else:
            values["wechat_next_attempt_at"] = now + pause(attempts) if status == PENDING else None
            await session.execute(
                update(Shipment)
                .where(Shipment.id == shipment_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        await session.commit()
    if status == FAILED:
        logger.warning("parcel %s could not be reported to WeChat: %s", shipment_id, error)
    return status


async def sync_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    uploader: ShippingUploader,
    *,
    max_attempts: int,
    now: datetime | None = None,
) -> int:
    """Send every pending parcel whose next attempt is due; how many WeChat accepted."""
    now = now or utcnow()
    async with sessionmaker() as session:
        due = list(
            await session.scalars(
                select(Shipment.id)
                .where(
                    Shipment.wechat_sync_status == PENDING,
                    or_(
                        Shipment.wechat_next_attempt_at.is_(None),
                        Shipment.wechat_next_attempt_at <= now,
                    ),
                )
                .order_by(Shipment.id)
                .limit(DUE_BATCH)
            )
        )
    synced = 0
    for shipment_id in due:
        status = await sync_shipment(
            sessionmaker, uploader, shipment_id, max_attempts=max_attempts, now=now
        )
        synced += status == SYNCED
    return synced
