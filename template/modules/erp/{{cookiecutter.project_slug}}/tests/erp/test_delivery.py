"""Delivery to a fake ERP that fails, times out, answers slowly and refuses: every change
arrives, once, in order per entity; what cannot be delivered is dead and can be replayed."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.erp.models import ErpOutbox
from app.erp.snapshots import READERS
from tests.erp.conftest import Worker
from tests.erp.fake_erp import FakeErp
from tests.variants import variant_of


async def _row(app: FastAPI, sync_id: str) -> ErpOutbox:
    sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    async with sessionmaker() as session:
        row = await session.scalar(select(ErpOutbox).where(ErpOutbox.sync_id == sync_id))
    assert row is not None
    return row


async def test_deliveries_are_signed_and_carry_the_state(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_product: Callable[..., Any],
    worker: Worker,
    fake_erp: FakeErp,
) -> None:
    product = await make_product(sku="TEA-9", stock=7)
    variant = await variant_of(app, product["id"])
    assert await worker.drain() == 1
    assert fake_erp.rejected == []
    assert fake_erp.state[f"stock:{variant}"] == {
        "variant_id": variant,
        "product_id": product["id"],
        "sku": "TEA-9",
        "stock": 7,
    }
    # Entities go out concurrently: only each entity's own versions are ordered.
    assert sorted(fake_erp.applied_ids) == [
        f"product:{product['id']}:1",
        f"stock:{variant}:1",
    ]
    row = await _row(app, f"stock:{variant}:1")
    assert row.status == "delivered" and row.attempts == 1 and row.delivered_at is not None
    metrics = (await client.get("/metrics")).text
    assert 'erp_deliveries_total{outcome="delivered"} 2.0' in metrics
    assert "erp_outbox_lag_seconds 0.0" in metrics
    assert 'erp_outbox_rows{status="delivered"} 2.0' in metrics


async def test_failures_are_retried_with_backoff(
    app: FastAPI, make_product: Callable[..., Any], worker: Worker, fake_erp: FakeErp
) -> None:
    fake_erp.then("fail", "fail")
    product = await make_product()
    await worker.deliverer.run_round()
    row = await _row(app, f"product:{product['id']}:1")
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    wait = (row.next_attempt_at - worker.clock()).total_seconds()
    assert worker.settings.retry_base / 2 <= wait <= worker.settings.retry_base
    await worker.deliverer.run_round()  # not due yet: nothing is sent
    assert (await _row(app, row.sync_id)).attempts == 1
    await worker.drain()
    assert (await _row(app, row.sync_id)).attempts == 2
    assert row.sync_id in fake_erp.applied_ids and fake_erp.duplicates == 0


async def test_an_answer_lost_to_a_timeout_is_sent_again_and_applied_once(
    app: FastAPI, make_product: Callable[..., Any], worker: Worker, fake_erp: FakeErp
) -> None:
    fake_erp.then("timeout")
    product = await make_product()
    await worker.drain()
    sync_id = f"product:{product['id']}:1"
    assert fake_erp.received.count(sync_id) == 2 and fake_erp.applied_ids.count(sync_id) == 1
    assert fake_erp.duplicates == 1
    assert (await _row(app, sync_id)).status == "delivered"


async def test_a_slow_answer_in_time_is_one_delivery(
    app: FastAPI, make_product: Callable[..., Any], worker: Worker, fake_erp: FakeErp
) -> None:
    fake_erp.then("slow", "slow")
    product = await make_product()
    assert await worker.drain() == 1
    assert (await _row(app, f"product:{product['id']}:1")).attempts == 1


async def test_a_refusal_is_dead_at_once_and_can_be_replayed(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Any],
    worker: Worker,
    fake_erp: FakeErp,
) -> None:
    fake_erp.then("refuse")
    product = await make_product()
    await worker.drain()
    sync_id = f"product:{product['id']}:1"
    listed = await client.get("/api/v1/erp/dead-letters", headers=admin_headers)
    (letter,) = listed.json()["data"]["items"]
    assert letter["sync_id"] == sync_id and letter["attempts"] == 1
    assert letter["superseded"] is False and "422" in letter["last_error"]
    outbox = (await client.get("/api/v1/erp/outbox", headers=admin_headers)).json()["data"]
    assert outbox["dead"] == 1 and outbox["enabled"] is True
    replayed = await client.post(
        f"/api/v1/erp/dead-letters/{letter['id']}/replay", headers=admin_headers
    )
    assert replayed.status_code == 200 and replayed.json()["data"]["attempts"] == 0
    await worker.drain()
    assert sync_id in fake_erp.applied_ids
    again = await client.post(
        f"/api/v1/erp/dead-letters/{letter['id']}/replay", headers=admin_headers
    )
    assert again.status_code == 409
    missing = await client.post("/api/v1/erp/dead-letters/999999/replay", headers=admin_headers)
    assert missing.status_code == 404


async def test_too_many_failures_make_a_dead_letter_a_newer_version_supersedes(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Any],
    worker: Worker,
    fake_erp: FakeErp,
) -> None:
    product = await make_product()
    await worker.drain()
    path = f"/api/v1/products/{product['id']}"
    await client.patch(path, json={"title": "Second"}, headers=admin_headers)
    fake_erp.then(*["fail"] * worker.settings.max_attempts)
    for _ in range(worker.settings.max_attempts):
        await worker.deliverer.run_round()
        worker.clock.advance(worker.settings.retry_cap)
    dead = await _row(app, f"product:{product['id']}:2")
    assert dead.status == "dead" and dead.attempts == worker.settings.max_attempts
    letters = "/api/v1/erp/dead-letters"
    (letter,) = (await client.get(letters, headers=admin_headers)).json()["data"]["items"]
    assert letter["superseded"] is False
    await client.patch(path, json={"title": "Third"}, headers=admin_headers)
    await worker.drain()
    (letter,) = (await client.get(letters, headers=admin_headers)).json()["data"]["items"]
    assert letter["superseded"] is True
    refused = await client.post(f"{letters}/{letter['id']}/replay", headers=admin_headers)
    assert refused.status_code == 409 and refused.json()["code"] == 40902
    assert fake_erp.state[f"product:{product['id']}"]["title"] == "Third"
    assert fake_erp.applied[f"product:{product['id']}"] == [1, 3]


async def test_a_version_waits_while_the_one_before_is_in_flight(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Any],
    worker: Worker,
    fake_erp: FakeErp,
) -> None:
    product = await make_product()
    fake_erp.then("slow", "slow")
    first = asyncio.create_task(worker.deliverer.run_round())

    async def in_flight() -> None:
        while (await _row(app, f"product:{product['id']}:1")).status != "delivering":
            await asyncio.sleep(0.01)

    await asyncio.wait_for(in_flight(), timeout=5)
    await client.patch(
        f"/api/v1/products/{product['id']}", json={"title": "Newer"}, headers=admin_headers
    )
    assert await worker.deliverer.run_round() == 0  # version 2 waits for version 1
    await first
    await worker.drain()
    assert fake_erp.applied[f"product:{product['id']}"] == [1, 2]


async def test_chaos_loses_nothing_repeats_nothing_and_keeps_order(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    customer_headers: dict[str, str],
    make_product: Callable[..., Any],
    worker: Worker,
    fake_erp: FakeErp,
) -> None:
    fake_erp.failure_rate, fake_erp.timeout_rate = 0.3, 0.05
    products = [await make_product(sku=f"SKU-{n}", stock=50) for n in range(6)]
    for round_ in range(4):
        for n, product in enumerate(products):
            if (n + round_) % 2:
                await client.patch(
                    f"/api/v1/products/{product['id']}",
                    json={"title": f"Title {round_}"},
                    headers=admin_headers,
                )
            else:
                await client.post(
                    "/api/v1/orders",
                    json={"items": [{"product_id": product["id"], "quantity": 1}]},
                    headers={**customer_headers, "Idempotency-Key": f"chaos-{round_}-{n}-key"},
                )
        await worker.deliverer.run_round()
    await worker.drain(rounds=200)
    assert fake_erp.out_of_order == []
    assert len(fake_erp.applied_ids) == len(set(fake_erp.applied_ids))
    async with app.state.sessionmaker() as session:
        rows = list(await session.scalars(select(ErpOutbox)))
        for key, delivered in fake_erp.state.items():
            entity, entity_id = key.split(":")
            now = await READERS[entity](session, int(entity_id))  # type: ignore[index]
            assert delivered == now, key
    newest: dict[str, int] = {}
    for row in rows:
        key = f"{row.entity}:{row.entity_id}"
        newest[key] = max(newest.get(key, 0), row.version)
    assert {key: versions[-1] for key, versions in fake_erp.applied.items()} == newest
    assert {row.status for row in rows} <= {"delivered", "superseded"}
