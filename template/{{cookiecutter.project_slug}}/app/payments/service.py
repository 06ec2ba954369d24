"""Opening payments and settling them: one `settle` for every channel, so the mock channel
exercises exactly the path a verified WeChat Pay notification takes."""

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.core.errors import BadRequest, NotFound, NotImplementedYet
from app.core.locks import RedisLock
from app.core.metrics import Metrics
from app.core.redis import RedisClient
from app.orders.models import Order
from app.orders.service import OrderService, PaymentOutcome
from app.orders.state import IllegalTransition, OrderStatus
from app.payments import contract_fields, signing
from app.payments.channels import CHANNELS
from app.payments.models import Payment
from app.payments.wechat import Clock, NotificationRejected, Transaction, WechatPayClient

logger = logging.getLogger(__name__)

SETTLE_LOCK_MS = 10_000
SettleOutcome = PaymentOutcome | Literal["paid_twice"]


@dataclass(frozen=True, slots=True)
class Opened:
    payment: Payment
    wechat_params: dict[str, str] | None
    new: bool = True


class PaymentService:
    def __init__(
        self,
        session: AsyncSession,
        orders: OrderService,
        *,
        clock: Clock,
        wechat: WechatPayClient | None,
        mock_enabled: bool,
        redis: RedisClient | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.session = session
        self._orders = orders
        self._clock = clock
        self._wechat = wechat
        self._mock_enabled = mock_enabled
        self._redis = redis
        self._metrics = metrics

    # -- opening ----------------------------------------------------------------------------

    async def open(
        self, user: User, order_id: int, channel: str, fields: Mapping[str, Any] | None = None
    ) -> Opened:
        """The order's open payment on this channel, or a new one: one open payment per order
        and channel (a unique index holds it), so a repeated or concurrent createPayment can
        never make the customer pay twice. A new one opens only once the last one failed.
        `fields` is the request body: the contract's own fields are taken from it."""
        self._check_channel(channel)
        values = contract_fields.column_values(fields or {})
        order = await self.session.get(Order, order_id)
        if order is None or (order.user_id != user.id and user.role != "admin"):
            raise NotFound("Order not found")
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise IllegalTransition(order.status, OrderStatus.PAID)
        if channel == "wechat":
            self._check_wechat_payer(user, order)
        existing = await self._open_payment(order.id, channel)
        if existing is not None:
            return Opened(existing, self.request_payment(existing), new=False)
        try:
            payment = await self._new_payment(order, channel, values)
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()  # another request opened it a moment ago
            existing = await self._open_payment(order_id, channel)
            if existing is None:
                raise
            return Opened(existing, self.request_payment(existing), new=False)
        if channel == "wechat":
            return await self._prepay(user, order, payment)
        return Opened(payment, None)

    async def _open_payment(self, order_id: int, channel: str) -> Payment | None:
        found: Payment | None = await self.session.scalar(
            select(Payment)
            .where(
                Payment.order_id == order_id,
                Payment.channel == channel,
                Payment.status == "pending",
            )
            .execution_options(populate_existing=True)
        )
        return found

    def _check_channel(self, channel: str) -> None:
        if channel not in CHANNELS:
            raise NotImplementedYet(f"The {channel} channel is not part of this service")
        if channel == "mock" and not self._mock_enabled:
            raise NotImplementedYet("The mock channel is off; set PAYMENT_MOCK_ENABLED")
        if channel == "wechat" and self._wechat is None:
            raise NotImplementedYet("WeChat Pay is not configured on this server")

    def _check_wechat_payer(self, user: User, order: Order) -> None:
        if order.currency != "CNY":
            raise BadRequest("WeChat Pay charges CNY only")
        if not user.wechat_openid:
            raise BadRequest("Log in through WeChat first: WeChat Pay needs the payer's openid")

    async def _prepay(self, user: User, order: Order, payment: Payment) -> Opened:
        assert self._wechat is not None and user.wechat_openid is not None
        try:
            prepay_id = await self._wechat.prepay(
                out_trade_no=payment.out_trade_no,
                description=f"Order {order.id}",
                total_fen=payment.amount_cents,
                openid=user.wechat_openid,
                time_expire=order.expires_at,
            )
        except Exception:
            payment.status = "failed"
            await self.session.commit()
            raise
        payment.prepay_id = prepay_id
        payment.updated_at = self._clock()
        await self.session.commit()
        return Opened(payment, self.request_payment(payment))

    async def _new_payment(self, order: Order, channel: str, values: dict[str, Any]) -> Payment:
        now = self._clock()
        payment = Payment(
            order_id=order.id,
            channel=channel,
            out_trade_no=f"SG{order.id}T{int(now.timestamp())}{secrets.token_hex(2).upper()}",
            amount_cents=order.total_cents,
            currency=order.currency,
            created_at=now,
            updated_at=now,
            **values,
        )
        self.session.add(payment)
        await self.session.flush()
        return payment

    def request_payment(self, payment: Payment) -> dict[str, str] | None:
        """Fresh `wx.requestPayment` arguments for a pending WeChat payment, else None."""
        if self._wechat is None or payment.status != "pending" or not payment.prepay_id:
            return None
        return self._wechat.merchant.request_payment(
            payment.prepay_id, timestamp=int(self._clock().timestamp()), nonce=signing.new_nonce()
        )

    async def get(self, user: User, payment_id: int) -> Payment:
        payment = await self.session.get(Payment, payment_id)
        if payment is None:
            raise NotFound("Payment not found")
        if user.role != "admin":
            owner = await self.session.scalar(
                select(Order.user_id).where(Order.id == payment.order_id)
            )
            if owner != user.id:
                raise NotFound("Payment not found")
        return payment

    # -- settling ---------------------------------------------------------------------------

    async def settle(self, transaction: Transaction, channel: str) -> SettleOutcome:
        """Mark the order paid for a verified, successful transaction, exactly once.

        Raises `NotificationRejected` (nothing changed) when the transaction does not match
        the payment we opened. Returns the outcome: `paid`, `already_paid` (a repeat),
        `paid_after_cancel` or `paid_twice` (another payment paid the order first); the last
        two leave the payment `succeeded` with `refund_required`, for `refunds_due`.
        """
        if transaction.trade_state != "SUCCESS":
            raise NotificationRejected(400, f"trade_state {transaction.trade_state}")
        async with self._lock(f"payment:{transaction.out_trade_no}"):
            payment = await self.session.scalar(
                select(Payment)
                .where(Payment.out_trade_no == transaction.out_trade_no)
                .with_for_update()
            )
            if payment is None or payment.channel != channel:
                raise NotificationRejected(400, "unknown out_trade_no")
            order_total = await self.session.scalar(
                select(Order.total_cents).where(Order.id == payment.order_id)
            )
            if transaction.total != payment.amount_cents or transaction.total != order_total:
                raise NotificationRejected(400, "amount does not match the order's total")
            paid_at = transaction.success_time or self._clock()
            # Written in the transaction mark_paid commits: the payment and the order move
            # together, and only the first notification finds the payment not succeeded.
            settled = await self.session.execute(
                update(Payment)
                .where(Payment.id == payment.id, Payment.status != "succeeded")
                .values(
                    status="succeeded",
                    transaction_id=transaction.transaction_id,
                    paid_at=paid_at,
                    updated_at=self._clock(),
                )
            )
            if getattr(settled, "rowcount", 0) != 1:
                await self.session.rollback()
                return "already_paid"  # this payment was settled before: a repeat
            outcome: SettleOutcome = await self._orders.mark_paid(
                payment.order_id, transaction_id=transaction.transaction_id, paid_at=paid_at
            )
            if outcome == "already_paid":
                paid_by = await self.session.scalar(
                    select(Order.transaction_id).where(Order.id == payment.order_id)
                )
                if paid_by != transaction.transaction_id:
                    outcome = "paid_twice"
            if outcome in ("paid_after_cancel", "paid_twice"):
                await self.session.execute(
                    update(Payment).where(Payment.id == payment.id).values(refund_required=True)
                )
                if self._metrics is not None:
                    self._metrics.refunds_required.labels(channel, outcome).inc()
                logger.warning(
                    "payment %s took money for order %s, which is %s; refund it",
                    payment.out_trade_no,
                    payment.order_id,
                    "closed" if outcome == "paid_after_cancel" else "paid by another payment",
                )
            # The payment's own row is settled whatever the order's state: nothing stays
            # pending once the channel says the money was taken.
            await self.session.commit()
        return outcome

    @asynccontextmanager
    async def _lock(self, name: str) -> AsyncIterator[None]:
        """The Redis token lock when Redis is configured; the row locks in `settle` do the
        rest (and are all there is without Redis). Correctness rests on the conditional
        updates: the lock only keeps two workers from settling the same payment at once."""
        lock = RedisLock(self._redis, name, SETTLE_LOCK_MS) if self._redis else None
        acquired = False
        if lock is not None:
            try:
                acquired = await lock.acquire()
            except (RedisError, OSError):
                logger.warning("Redis unavailable for lock %s; relying on row locks", name)
                lock = None
            else:
                if not acquired:
                    raise NotificationRejected(503, "the same payment is being settled")
        try:
            yield
        finally:
            if lock is not None and acquired:
                with suppress(RedisError, OSError):
                    await lock.release()


# -- the mock channel ---------------------------------------------------------------------


def mock_signature(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def mock_notification(secret: bytes, payment: Payment, now: datetime) -> tuple[bytes, str]:
    """The body and signature of the mock channel's "payment succeeded" notification."""
    body = json.dumps(
        {
            "out_trade_no": payment.out_trade_no,
            "transaction_id": f"MOCK{payment.id}{secrets.token_hex(4).upper()}",
            "amount": {"total": payment.amount_cents, "currency": payment.currency},
            "success_time": now.isoformat(),
        },
        separators=(",", ":"),
    ).encode()
    return body, mock_signature(secret, body)


def open_mock_notification(secret: bytes, body: bytes, signature: str | None) -> Transaction:
    """Verify and read a mock notification; `NotificationRejected` if it is not ours."""
    if not signature or not hmac.compare_digest(mock_signature(secret, body), signature):
        raise NotificationRejected(401, "mock signature rejected")
    try:
        data: dict[str, Any] = json.loads(body)
        return Transaction(
            app_id="mock",
            mch_id="mock",
            out_trade_no=str(data["out_trade_no"]),
            transaction_id=str(data["transaction_id"]),
            trade_state="SUCCESS",
            total=int(data["amount"]["total"]),
            currency=str(data["amount"]["currency"]),
            success_time=datetime.fromisoformat(data["success_time"]),
        )
    except (ValueError, KeyError, TypeError):
        raise NotificationRejected(400, "malformed mock notification") from None


async def refunds_due(session: AsyncSession) -> list[Payment]:
    """Payments that took money the shop must give back: succeeded for an order that was
    closed first, or that another payment had paid already. Oldest first."""
    rows = await session.scalars(
        select(Payment)
        .where(Payment.refund_required.is_(True), Payment.status == "succeeded")
        .order_by(Payment.paid_at, Payment.id)
    )
    return list(rows)
