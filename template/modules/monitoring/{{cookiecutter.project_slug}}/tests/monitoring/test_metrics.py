"""The figures the alerts and the dashboard read: sampled from the database into /metrics,
labels bounded, the last good figures kept while the database is away."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import create_engine, create_sessionmaker
from app.monitoring.config import MonitoringSettings
from app.monitoring.metrics import MAX_CURRENCIES
from app.monitoring.sampler import Sampler
from app.orders.models import Order
from app.payments.models import Payment
from app.refunds.models import Refund
from tests.loops import assert_stops, swallowing

Headers = dict[str, str]
# (metric name, sorted labels) -> value, as /metrics shows them.
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _metrics(client: httpx.AsyncClient) -> Samples:
    text = (await client.get("/metrics")).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _order(status: str, total: int, currency: str = "CNY", **times: datetime) -> Order:
    now = datetime.now(UTC)
    return Order(
        status=status,
        total_cents=total,
        currency=currency,
        created_at=times.get("created_at", now),
        updated_at=times.get("updated_at", now),
        paid_at=times.get("paid_at"),
        expires_at=times.get("expires_at", now + timedelta(minutes=30)),
    )


@pytest.fixture
async def shop(app: FastAPI) -> None:
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as session, session.begin():
        orders = [
            _order("paid", 1000, paid_at=now),
            _order("paid", 2500, paid_at=now),
            _order("refunded", 700, paid_at=now - timedelta(days=1)),
            _order("pending_payment", 300, expires_at=now - timedelta(hours=2)),
            _order("on_hold", 100),  # a status the state machine does not have
        ]
        session.add_all(orders)
        await session.flush()
        payments = [
            Payment(
                order_id=orders[index].id,
                channel=channel,
                out_trade_no=f"T{index}{channel}",
                status=status,
                amount_cents=orders[index].total_cents,
                currency="CNY",
            )
            for index, channel, status in [
                (0, "wechat", "succeeded"),
                (1, "mock", "succeeded"),
                (3, "wechat", "failed"),
                (2, "alipay", "succeeded"),  # a channel the metrics do not know
            ]
        ]
        session.add_all(payments)
        await session.flush()
        session.add(
            Refund(
                order_id=orders[2].id,
                payment_id=payments[3].id,
                channel="alipay",
                out_refund_no="R-refunded",
                status="succeeded",
                amount_cents=700,
                currency="CNY",
                reason="returned",
                succeeded_at=now,
            )
        )


def _value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


async def test_a_sample_shows_the_shop_on_metrics(
    app: FastAPI, client: httpx.AsyncClient, shop: None
) -> None:
    await app.state.monitoring.sampler.sample()
    found = await _metrics(client)
    assert _value(found, "shop_orders", status="paid") == 2
    assert _value(found, "shop_orders", status="refunded") == 1
    assert _value(found, "shop_orders", status="other") == 1
    assert _value(found, "shop_orders", status="cancelled") == 0
    assert _value(found, "shop_orders_created_total") == 5
    assert _value(found, "shop_revenue_minor_units_total", currency="CNY") == 4200
    assert _value(found, "shop_refunds_minor_units_total", currency="CNY") == 700
    assert _value(found, "shop_payments", channel="wechat", status="failed") == 1
    assert _value(found, "shop_payments", channel="other", status="succeeded") == 1
    assert _value(found, "shop_order_expiry_overdue_orders") == 1
    assert _value(found, "shop_order_expiry_lag_seconds") >= 7200 - 60
    assert _value(found, "shop_dependency_up", dependency="database") == 1
    assert _value(found, "shop_stock_backend_up") == 1  # no Redis: the database holds stock
    assert _value(found, "shop_webhook_backlog") == 0
    statuses = {dict(labels)["status"] for name, labels in found if name == "shop_orders"}
    assert "on_hold" not in statuses


async def test_currencies_are_bounded(
    app: FastAPI, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    codes = [f"X{chr(65 + n // 26)}{chr(65 + n % 26)}" for n in range(MAX_CURRENCIES + 5)]
    async with app.state.sessionmaker() as session, session.begin():
        session.add_all(
            _order("paid", 100, currency=code, paid_at=datetime.now(UTC)) for code in codes
        )
    await app.state.monitoring.sampler.sample()
    found = await _metrics(client)
    currencies = {
        dict(labels)["currency"]
        for name, labels in found
        if name == "shop_revenue_minor_units_total"
    }
    assert len(currencies) == MAX_CURRENCIES + 1 and "other" in currencies
    assert _value(found, "shop_revenue_minor_units_total", currency="other") == 500


async def test_a_lost_database_is_a_figure_and_keeps_the_last_ones(
    app: FastAPI, client: httpx.AsyncClient, shop: None, tmp_path: Path
) -> None:
    runtime = app.state.monitoring
    await runtime.sampler.sample()
    gone = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'shop.db'}")
    try:
        away = Sampler(
            create_sessionmaker(gone),
            None,
            runtime.metrics,
            MonitoringSettings(_env_file=None, sample_timeout=5),  # type: ignore[call-arg]
        )
        figures = await away.sample()
    finally:
        await gone.dispose()
    assert not figures.database_up
    found = await _metrics(client)
    assert _value(found, "shop_dependency_up", dependency="database") == 0
    assert _value(found, "shop_orders", status="paid") == 2
    assert _value(found, "shop_revenue_minor_units_total", currency="CNY") == 4200


async def test_the_pool_is_on_metrics(client: httpx.AsyncClient) -> None:
    found = await _metrics(client)
    assert ("shop_db_pool_capacity", ()) in found
    assert _value(found, "shop_db_pool_capacity") > 0
    assert _value(found, "shop_db_pool_connections", state="in_use") >= 0


async def test_admins_read_the_summary(
    client: httpx.AsyncClient, shop: None, admin_headers: Headers, customer_headers: Headers
) -> None:
    assert (await client.get("/api/v1/monitoring/summary")).status_code == 401
    refused = await client.get("/api/v1/monitoring/summary", headers=customer_headers)
    assert refused.status_code == 403
    answer = await client.get("/api/v1/monitoring/summary", headers=admin_headers)
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["database_up"] and data["overdue_unpaid_orders"] == 1
    counts = {item["status"]: item["count"] for item in data["order_counts"]}
    assert counts["paid"] == 2 and counts["refunded"] == 1 and "on_hold" not in counts
    assert data["revenue_this_month"] == [{"currency": "CNY", "amount_cents": 4200 - 700}]


async def test_sampling_stops_at_shutdown_even_when_a_sample_swallows_it(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database call may turn the cancellation into a normal return; the loop still ends
    instead of sleeping towards its next sample, and the app's shutdown does not hang."""
    runtime = app.state.monitoring
    settings = MonitoringSettings(_env_file=None, sample_interval=60)  # type: ignore[call-arg]
    sampler = Sampler(app.state.sessionmaker, None, runtime.metrics, settings)
    sampling = asyncio.Event()
    monkeypatch.setattr(sampler, "sample", swallowing(sampling))
    job = asyncio.create_task(sampler.run_forever())
    await asyncio.wait_for(sampling.wait(), 10)
    await assert_stops(job)
