"""The service with the commission module, and the steps of an order's life the tests need:
placed through a channel, paid, completed, refunded."""

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.commission.config import CommissionSettings
from app.commission.models import CommissionAttribution, CommissionEntry, CommissionJournal
from app.commission.settlement import Settler
from app.core import changes
from app.core.config import Settings
from app.main import create_app
from app.orders.models import Order
from app.orders.service import OrderService
from app.orders.state import OrderStatus, ShippingStatus
from tests import payloads

Headers = dict[str, str]
WINDOW_DAYS = 7.0


@pytest.fixture
def commission_settings() -> CommissionSettings:
    return CommissionSettings(
        _env_file=None,  # type: ignore[call-arg]
        return_window_days=WINDOW_DAYS,
        settle_interval=0,  # rounds run when a test says so
        batch=500,
        cache_ttl=3600,
    )


@pytest.fixture
async def app(
    settings: Settings, engine: AsyncEngine, commission_settings: CommissionSettings
) -> AsyncIterator[FastAPI]:
    made = create_app(settings)
    made.state.commission_settings = commission_settings
    async with made.router.lifespan_context(made):
        yield made


class Later:
    """A clock past the return window of everything completed before it was made."""

    def __init__(self, days: float = WINDOW_DAYS + 1) -> None:
        self.at = datetime.now(UTC) + timedelta(days=days)

    def __call__(self) -> datetime:
        return self.at


def settler(app: FastAPI, clock: Callable[[], datetime] | None = None) -> Settler:
    runtime = app.state.commission
    return Settler(runtime.sessionmaker, runtime.cache, runtime.settings, clock=clock or Later())


class Shop:
    """Channels, rules and orders through the API; order states through the order service."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, admin: Headers) -> None:
        self.app = app
        self.client = client
        self.admin = admin

    async def channel(self, code: str, parent_id: int | None = None, **extra: Any) -> int:
        body = {"code": code, "name": code.title(), "parent_id": parent_id, **extra}
        response = await self.client.post(
            "/api/v1/commission/channels", json=body, headers=self.admin
        )
        assert response.status_code == 201, response.text
        channel_id: int = response.json()["data"]["id"]
        return channel_id

    async def rule(self, level: int, rate_bp: int, **extra: Any) -> dict[str, Any]:
        body = {"level": level, "rate_bp": rate_bp, "currency": "CNY", **extra}
        response = await self.client.post("/api/v1/commission/rules", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        rule: dict[str, Any] = response.json()["data"]
        return rule

    async def order(
        self, headers: Headers, items: list[dict[str, int]], channel_code: str | None
    ) -> httpx.Response:
        body: dict[str, Any] = {"items": items, **payloads.CREATE_ORDER}
        if channel_code is not None:
            body["channel_code"] = channel_code
        return await self.client.post(
            "/api/v1/orders",
            json=body,
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )

    async def sold(self, headers: Headers, items: list[dict[str, int]], channel_code: str) -> int:
        response = await self.order(headers, items, channel_code)
        assert response.status_code == 201, response.text
        order_id: int = response.json()["data"]["id"]
        return order_id

    def _orders(self, session: Any) -> OrderService:
        return OrderService(session, self.app.state.stock)

    async def pay(self, order_id: int) -> None:
        async with self.app.state.sessionmaker() as session:
            outcome = await self._orders(session).mark_paid(
                order_id, transaction_id=f"tx-{order_id}", paid_at=datetime.now(UTC)
            )
        assert outcome == "paid"

    async def complete(self, order_id: int) -> None:
        """Paid, shipped and received: its return window starts now."""
        await self.pay(order_id)
        now = datetime.now(UTC)
        async with self.app.state.sessionmaker() as session:
            await session.execute(
                update(Order)
                .where(Order.id == order_id)
                .values(
                    status=OrderStatus.COMPLETED,
                    shipping_status=ShippingStatus.SHIPPED,
                    shipped_at=now,
                    completed_at=now,
                    updated_at=now,
                )
            )
            await changes.record(session, "order", order_id)
            await session.commit()

    async def refund_in_full(self, order_id: int) -> None:
        """The customer gets everything back, after the order completed (a return)."""
        async with self.app.state.sessionmaker() as session:
            await session.execute(
                update(Order)
                .where(Order.id == order_id)
                .values(status=OrderStatus.REFUNDED, updated_at=datetime.now(UTC))
            )
            await changes.record(session, "order", order_id)
            await session.commit()

    async def attribution(self, order_id: int) -> CommissionAttribution | None:
        async with self.app.state.sessionmaker() as session:
            found: CommissionAttribution | None = await session.get(CommissionAttribution, order_id)
            return found

    async def journals(self) -> list[CommissionJournal]:
        async with self.app.state.sessionmaker() as session:
            return list(await session.scalars(select(CommissionJournal).order_by("id")))

    async def entries(self, order_id: int | None = None) -> list[CommissionEntry]:
        async with self.app.state.sessionmaker() as session:
            query = select(CommissionEntry).order_by(CommissionEntry.id)
            if order_id is not None:
                query = query.where(CommissionEntry.order_id == order_id)
            return list(await session.scalars(query))


@pytest.fixture
async def shop(app: FastAPI, client: httpx.AsyncClient, admin_headers: Headers) -> Shop:
    return Shop(app, client, admin_headers)


def credits_by_channel(entries: list[CommissionEntry]) -> dict[int, int]:
    """Each channel's net (credits minus debits) in these entries."""
    found: dict[int, int] = {}
    for entry in entries:
        if entry.channel_id is not None:
            sign = 1 if entry.side == "credit" else -1
            found[entry.channel_id] = found.get(entry.channel_id, 0) + sign * entry.amount_cents
    return found
