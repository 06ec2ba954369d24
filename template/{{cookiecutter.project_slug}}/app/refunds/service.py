"""Refunds: asked for by an admin, carried out by the channel that took the money, settled
once.

Creating a refund commits its amount against the payment and its units against the order's
lines with conditional updates, in the transaction that inserts it and records its
idempotency answer: two refunds at once cannot give back more than was paid (the second is a
409), and a crash cannot leave a refund whose retry makes a second one. Only then is the
channel asked. The mock channel succeeds at once; WeChat Pay answers PROCESSING and reports
the outcome in a notification. A request whose answer never came stays `pending` and
unsubmitted, and the upkeep job asks again under the same `out_refund_no`, which WeChat Pay
treats as the same refund.

`settle` applies an outcome once: every move of a refund's status is a conditional update,
and only the move into `succeeded` counts the money on the order, moves its status and puts
restocked units back (database, then Redis, once). A closed refund gives its amount and units
back, so they can be refunded again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.errors import (
    Code,
    FieldErrors,
    ForeignReference,
    NotFound,
    ShopError,
    UpstreamError,
    field_error,
)
from app.orders.idempotency import Answer, Claim, IdempotencyKeys, error_body
from app.orders.models import Order, OrderItem
from app.orders.pricing import MAX_AMOUNT
from app.orders.service import OrderNotFound, OrderService, Viewer
from app.orders.state import REFUNDABLE, IllegalTransition, OrderStatus
from app.payments.models import Payment
from app.payments.wechat import (
    NotificationRejected,
    RefundResult,
    WechatPayClient,
    WechatPayDeclined,
)
from app.refunds import contract_fields, item_contract_fields
from app.refunds.models import Refund, RefundItem
from app.stock.backend import StockLine

logger = logging.getLogger(__name__)

PENDING, SUCCEEDED, CLOSED, ABNORMAL = "pending", "succeeded", "closed", "abnormal"
# An unacknowledged request younger than this may still be on its way: leave it alone.
RESUBMIT_AFTER = timedelta(minutes=1)
RESUBMIT_BATCH = 50
Clock = Callable[[], datetime]
Render = Callable[[Refund], dict[str, Any]]


class RefundNotFound(NotFound):
    msg = "Refund not found"


class RefundExceeds(ShopError):
    status_code, code, msg = 409, Code.REFUND_EXCEEDS, "Refund exceeds what is left to refund"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(data={"errors": [field_error(field, message, "exceeds_refundable")]})


class NothingToRefund(ShopError):
    status_code, code = 409, Code.ILLEGAL_TRANSITION
    msg = "The order has no payment here to refund"


@dataclass(frozen=True, slots=True)
class RefundPage:
    items: list[Refund]
    total: int


def _with_items() -> Any:
    return select(Refund).options(selectinload(Refund.items))


def _rows(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


class RefundService:
    def __init__(
        self,
        session: AsyncSession,
        orders: OrderService,
        *,
        clock: Clock,
        wechat: WechatPayClient | None,
        notify_url: str | None = None,
        idempotency_ttl: timedelta = timedelta(hours=24),
    ) -> None:
        self.session = session
        self._orders = orders
        self._clock = clock
        self._wechat = wechat
        self._notify_url = notify_url
        self.idempotency = IdempotencyKeys(session, idempotency_ttl)

    # -- reads ---------------------------------------------------------------------------

    async def list(self, order_id: int, viewer: Viewer, *, page: int, limit: int) -> RefundPage:
        await self._orders.get(order_id, viewer)
        total = await self.session.scalar(
            select(func.count(Refund.id)).where(Refund.order_id == order_id)
        )
        if (page - 1) * limit > MAX_AMOUNT:
            return RefundPage([], total or 0)  # past the end, and past what OFFSET takes
        rows = await self.session.scalars(
            _with_items()
            .where(Refund.order_id == order_id)
            .order_by(Refund.created_at.desc(), Refund.id.desc())
            .offset((page - 1) * limit)
            .limit(limit)
        )
        return RefundPage(list(rows), total or 0)

    async def get(self, order_id: int, refund_id: int, viewer: Viewer) -> Refund:
        await self._orders.get(order_id, viewer)
        return await self._load(order_id, refund_id)

    async def _load(self, order_id: int, refund_id: int) -> Refund:
        refund: Refund | None = await self.session.scalar(
            _with_items()
            .where(Refund.id == refund_id, Refund.order_id == order_id)
            .execution_options(populate_existing=True)
        )
        if refund is None:
            raise RefundNotFound()
        return refund

    # -- creating ----------------------------------------------------------------------------

    async def create(
        self,
        admin: User,
        order_id: int,
        fields: Mapping[str, Any],
        *,
        idempotency_key: str,
        fingerprint: str,
        render: Render,
    ) -> Answer:
        """Refund once per idempotency key: the answer to give, new or recorded. `render`
        turns a refund into the answer's `data`."""
        claim = await self.idempotency.claim(admin.id, idempotency_key, fingerprint)
        if isinstance(claim, Answer):
            return claim
        try:
            return await self._create(admin, order_id, fields, claim, render)
        except ShopError as error:
            await self.session.rollback()
            if error.status_code >= 500:
                await self.idempotency.drop(claim)
            else:
                await self.idempotency.record_now(
                    claim, Answer(error.status_code, error_body(error))
                )
            raise
        except Exception:
            await self.session.rollback()
            await self.idempotency.drop(claim)
            raise

    async def _create(
        self,
        admin: User,
        order_id: int,
        fields: Mapping[str, Any],
        claim: Claim,
        render: Render,
    ) -> Answer:
        order: Order | None = await self.session.scalar(
            select(Order)
            .options(selectinload(Order.items))
            .where(Order.id == order_id)
            .execution_options(populate_existing=True)
        )
        if order is None:
            raise OrderNotFound()
        payment = await self._payment(order, fields.get("payment_id"))
        of_order = not payment.refund_required
        if of_order and order.status not in REFUNDABLE:
            raise IllegalTransition(order.status, OrderStatus.REFUNDED)
        lines = _lines(order, fields.get("items") or (), of_order)
        amount = _amount(fields, lines, payment)
        restock = fields.get("restock")
        if restock is None:
            restock = bool(lines) and all(item.shipped_quantity == 0 for item in order.items)
        elif restock and not lines:
            message = "Name the lines whose units go back on sale."
            raise FieldErrors([field_error("restock", message, "items_missing")])
        if payment.channel == "wechat" and self._wechat is None:
            raise UpstreamError(
                "WeChat Pay is not configured here; refund it in the merchant platform"
            )
        committed = await self.session.execute(
            update(Payment)
            .where(
                Payment.id == payment.id,
                Payment.status == "succeeded",
                Payment.refund_committed_cents + amount <= Payment.amount_cents,
            )
            .values(refund_committed_cents=Payment.refund_committed_cents + amount)
            .execution_options(synchronize_session=False)
        )
        if _rows(committed) != 1:
            left = await self.session.scalar(
                select(Payment.amount_cents - Payment.refund_committed_cents).where(
                    Payment.id == payment.id
                )
            )
            message = f"Only {left or 0} of {payment.amount_cents} is left to refund."
            raise RefundExceeds("amount_cents", message)
        for index, (item, quantity, _) in enumerate(lines):
            taken = await self.session.execute(
                update(OrderItem)
                .where(
                    OrderItem.id == item.id,
                    OrderItem.refunded_quantity + quantity <= OrderItem.quantity,
                )
                .values(refunded_quantity=OrderItem.refunded_quantity + quantity)
                .execution_options(synchronize_session=False)
            )
            if _rows(taken) != 1:
                message = f"Line {item.id} has fewer than {quantity} units left to refund."
                raise RefundExceeds(f"items.{index}.quantity", message)
        now = self._clock()
        refund = Refund(
            order_id=order.id,
            payment_id=payment.id,
            channel=payment.channel,
            out_refund_no=f"RF{order.id}N{secrets.token_hex(6).upper()}",
            status=PENDING,
            amount_cents=amount,
            currency=payment.currency,
            reason=str(fields["reason"]),
            restock=bool(restock),
            of_order=of_order,
            submitted=False,
            created_by=admin.id,
            created_at=now,
            updated_at=now,
            **contract_fields.column_values(fields),
            items=[
                RefundItem(
                    order_item_id=item.id,
                    variant_id=item.variant_id,
                    quantity=quantity,
                    **item_contract_fields.column_values(raw),
                )
                for item, quantity, raw in lines
            ],
        )
        self.session.add(refund)
        if lines:
            await self._orders.refresh_shipping(order.id)
        await self.session.flush()
        answer = Answer(201, _answer(render(refund)))
        await self.idempotency.record(claim, answer)
        await self.session.commit()
        refund = await self._submit(await self._load(order.id, refund.id), payment)
        answer = Answer(201, _answer(render(refund)))
        await self.idempotency.record_now(claim, answer)
        return answer

    async def _payment(self, order: Order, payment_id: int | None) -> Payment:
        if payment_id is not None:
            payment = await self.session.get(Payment, payment_id)
            if payment is None or payment.order_id != order.id:
                message = f"Order {order.id} has no payment {payment_id}."
                raise ForeignReference([field_error("payment_id", message, "not_in_order")])
            if payment.status != "succeeded":
                raise NothingToRefund(f"Payment {payment.id} is {payment.status}, not succeeded")
            return payment
        paying = await self.session.scalar(
            select(Payment)
            .where(
                Payment.order_id == order.id,
                Payment.status == "succeeded",
                Payment.refund_required.is_(False),
            )
            .order_by(Payment.id.desc())
            .limit(1)
        )
        if paying is not None:
            return paying
        if order.status not in REFUNDABLE:
            raise IllegalTransition(order.status, OrderStatus.REFUNDED)
        raise NothingToRefund(
            "The order has no payment here to refund; refund it where it was paid"
        )

    async def _submit(self, refund: Refund, payment: Payment) -> Refund:
        """Ask the channel for the money. A refusal closes the refund (502); an answer that
        never came leaves it pending for the upkeep job to ask again."""
        if refund.channel == "mock":
            await self._apply(refund, "SUCCESS", f"MOCKR{refund.id}", self._clock())
            return await self._load(refund.order_id, refund.id)
        assert self._wechat is not None
        try:
            result = await self._wechat.refund(
                out_trade_no=payment.out_trade_no,
                out_refund_no=refund.out_refund_no,
                reason=refund.reason,
                refund_fen=refund.amount_cents,
                total_fen=payment.amount_cents,
                notify_url=self._notify_url,
            )
        except WechatPayDeclined:
            await self._apply(refund, "CLOSED", None, None)
            raise
        except ShopError as error:
            logger.warning(
                "refund %s: no answer from WeChat Pay (%s); it is asked again later",
                refund.out_refund_no,
                error.msg,
            )
            return refund
        await self._apply(refund, result.status, result.refund_id, result.success_time)
        return await self._load(refund.order_id, refund.id)

    # -- settling ----------------------------------------------------------------------------

    async def settle(self, result: RefundResult, channel: str) -> str:
        """Apply a verified refund notification once; what it did, for the log. Raises
        `NotificationRejected` (nothing changed) when it matches no refund here."""
        refund = await self.session.scalar(
            _with_items().where(Refund.out_refund_no == result.out_refund_no)
        )
        if refund is None or refund.channel != channel:
            raise NotificationRejected(400, "unknown out_refund_no")
        if result.refund is not None and result.refund != refund.amount_cents:
            raise NotificationRejected(400, "amount does not match the refund")
        return await self._apply(refund, result.status, result.refund_id, result.success_time)

    async def _apply(
        self, refund: Refund, status: str, refund_id: str | None, success_time: datetime | None
    ) -> str:
        now = self._clock()
        known = {"submitted": True, "channel_status": status, "updated_at": now}
        if refund_id:
            known["channel_refund_id"] = refund_id
        if status == "SUCCESS":
            moved = await self._move(
                refund, (PENDING, ABNORMAL), SUCCEEDED, succeeded_at=success_time or now, **known
            )
            if not moved:
                await self.session.commit()
                return "already settled"
            restock = [
                StockLine(item.variant_id, item.quantity, "", index)
                for index, item in enumerate(refund.items)
                if refund.restock and item.variant_id is not None
            ]
            if refund.of_order:
                await self._orders.refund_succeeded(
                    refund.order_id, refund.amount_cents, restock, f"refund-{refund.id}"
                )
            else:
                await self._settle_stray(refund)
            return "succeeded"
        if status == "CLOSED":
            if not await self._move(refund, (PENDING, ABNORMAL), CLOSED, **known):
                await self.session.commit()
                return "already settled"
            await self._give_back(refund)
            await self.session.commit()
            return "closed"
        if status == "ABNORMAL":
            moved = await self._move(refund, (PENDING,), ABNORMAL, **known)
            await self.session.commit()
            if moved:
                logger.warning(
                    "refund %s is abnormal: settle it in the WeChat Pay merchant platform",
                    refund.out_refund_no,
                )
            return "abnormal" if moved else "already settled"
        await self._move(refund, (PENDING,), PENDING, **known)  # PROCESSING
        await self.session.commit()
        return "processing"

    async def _move(self, refund: Refund, seen: Sequence[str], target: str, **values: Any) -> bool:
        result = await self.session.execute(
            update(Refund)
            .where(Refund.id == refund.id, Refund.status.in_(seen))
            .values(status=target, **values)
            .execution_options(synchronize_session=False)
        )
        return _rows(result) == 1

    async def _give_back(self, refund: Refund) -> None:
        """A closed refund's amount and units can be refunded again."""
        await self.session.execute(
            update(Payment)
            .where(Payment.id == refund.payment_id)
            .values(refund_committed_cents=Payment.refund_committed_cents - refund.amount_cents)
            .execution_options(synchronize_session=False)
        )
        for item in refund.items:
            await self.session.execute(
                update(OrderItem)
                .where(OrderItem.id == item.order_item_id)
                .values(refunded_quantity=OrderItem.refunded_quantity - item.quantity)
                .execution_options(synchronize_session=False)
            )
        if refund.items:
            await self._orders.refresh_shipping(refund.order_id)

    async def _settle_stray(self, refund: Refund) -> None:
        """Money taken after its order closed went back: the payment owes nothing more once
        its refunds cover it."""
        await self.session.execute(
            update(Payment)
            .where(
                Payment.id == refund.payment_id,
                Payment.refund_committed_cents >= Payment.amount_cents,
            )
            .values(refund_required=False, updated_at=self._clock())
            .execution_options(synchronize_session=False)
        )
        await self.session.commit()

    # -- upkeep ------------------------------------------------------------------------------

    async def resubmit_due(self, now: datetime | None = None) -> int:
        """Ask WeChat Pay again about refunds whose request got no answer; how many it has
        now acknowledged."""
        if self._wechat is None:
            return 0
        now = now or self._clock()
        due = list(
            await self.session.scalars(
                _with_items()
                .where(
                    Refund.status == PENDING,
                    Refund.submitted.is_(False),
                    Refund.channel == "wechat",
                    Refund.created_at <= now - RESUBMIT_AFTER,
                )
                .order_by(Refund.id)
                .limit(RESUBMIT_BATCH)
            )
        )
        await self.session.commit()
        acknowledged = 0
        for refund in due:
            payment = await self.session.get(Payment, refund.payment_id)
            assert payment is not None
            try:
                refund = await self._submit(refund, payment)
            except ShopError as error:
                logger.warning("refund %s refused: %s", refund.out_refund_no, error.msg)
                continue
            acknowledged += int(refund.submitted)
        return acknowledged


def _answer(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 0, "data": data, "msg": "ok"}


Line = tuple[OrderItem, int, Mapping[str, Any]]


def _lines(order: Order, raw: Sequence[Mapping[str, Any]], of_order: bool) -> list[Line]:
    """The order lines and units a refund names; 422 for a line named twice, 42203 for a line
    of another order."""
    if raw and not of_order:
        message = "This payment never paid the order's lines; refund an amount."
        raise FieldErrors([field_error("items", message, "not_of_order")])
    items = {item.id: item for item in order.items}
    lines: list[Line] = []
    foreign: list[dict[str, str]] = []
    errors: list[dict[str, str]] = []
    seen: set[int] = set()
    for index, line in enumerate(raw):
        item_id, quantity = int(line["order_item_id"]), int(line["quantity"])
        field = f"items.{index}.order_item_id"
        item = items.get(item_id)
        if item is None:
            foreign.append(
                field_error(field, f"Order {order.id} has no line {item_id}.", "not_in_order")
            )
        elif item_id in seen:
            errors.append(field_error(field, "This line is named twice.", "duplicate"))
        else:
            lines.append((item, quantity, line))
        seen.add(item_id)
    if foreign:
        raise ForeignReference(foreign, "The body names something that is not this order's")
    if errors:
        raise FieldErrors(errors)
    return lines


def _amount(fields: Mapping[str, Any], lines: Sequence[Line], payment: Payment) -> int:
    """What the refund gives back: the lines' price, or the amount asked (never more than
    the lines' price when lines are named)."""
    currency = fields.get("currency")
    if currency is not None and currency != payment.currency:
        message = f"The payment was made in {payment.currency}."
        raise FieldErrors([field_error("currency", message, "currency_mismatch")])
    value = sum(item.unit_price_cents * quantity for item, quantity, _ in lines)
    asked = fields.get("amount_cents")
    if asked is None:
        if not lines:
            message = "Name the lines refunded, an amount, or both."
            raise FieldErrors([field_error("items", message, "missing")])
        return value
    if lines and asked > value:
        message = f"The lines named are worth {value}; refund at most that."
        raise FieldErrors([field_error("amount_cents", message, "exceeds_lines")])
    return int(asked)
