"""The outbox is written in the transaction that changes an order, a product or stock: a
change that commits has its row, one that rolls back has none, and versions only grow."""

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from app.core import changes
from app.core.config import Settings
from app.erp.config import ErpSettings
from app.erp.models import ErpOutbox
from app.main import create_app
from tests.erp.conftest import Worker
from tests.variants import variant_of


async def _rows(app: FastAPI) -> list[ErpOutbox]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(ErpOutbox).order_by(ErpOutbox.id)))


async def test_a_new_product_records_the_product_and_its_stock(
    app: FastAPI, make_product: Callable[..., Any]
) -> None:
    product = await make_product(sku="TEA-1", stock=5)
    variant = await variant_of(app, product["id"])
    rows = await _rows(app)
    assert [r.sync_id for r in rows] == [f"product:{product['id']}:1", f"stock:{variant}:1"]
    assert rows[0].payload["sku"] == "TEA-1" and rows[0].payload["price_cents"] == 16800
    assert [v["id"] for v in rows[0].payload["variants"]] == [variant]
    assert rows[1].payload == {
        "variant_id": variant,
        "product_id": product["id"],
        "sku": "TEA-1",
        "stock": 5,
    }
    assert all(r.status == "pending" and r.attempts == 0 for r in rows)


async def test_an_order_records_itself_and_the_stock_it_took(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=5)
    variant = await variant_of(app, product["id"])
    response = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": 2}]},
        headers={**customer_headers, "Idempotency-Key": "order-key-0001"},
    )
    assert response.status_code == 201, response.text
    order_id = response.json()["data"]["id"]
    rows = {r.sync_id: r for r in await _rows(app)}
    order = rows[f"order:{order_id}:1"]
    assert order.payload["status"] == "pending_payment" and order.payload["total_cents"] == 33600
    assert order.payload["items"][0]["quantity"] == 2
    assert rows[f"stock:{variant}:2"].payload["stock"] == 3
    assert rows[f"stock:{variant}:1"].status == "superseded"
    cancelled = await client.post(
        f"/api/v1/orders/{order_id}/cancellation", headers=customer_headers
    )
    assert cancelled.status_code == 200
    rows = {r.sync_id: r for r in await _rows(app)}
    assert rows[f"order:{order_id}:2"].payload["status"] == "cancelled"
    assert rows[f"stock:{variant}:3"].payload["stock"] == 5


async def test_a_refused_order_records_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=1)
    before = len(await _rows(app))
    response = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": 2}]},
        headers={**customer_headers, "Idempotency-Key": "order-key-0002"},
    )
    assert response.status_code == 409
    assert len(await _rows(app)) == before


async def test_a_change_that_changes_nothing_writes_no_version(
    app: FastAPI, make_product: Callable[..., Any]
) -> None:
    product = await make_product()
    before = len(await _rows(app))
    async with app.state.sessionmaker() as session:
        await changes.record(session, "stock", await variant_of(app, product["id"]))
        await changes.record(session, "product", product["id"])
        await session.commit()
    assert len(await _rows(app)) == before


async def test_a_newer_version_supersedes_one_still_waiting(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Any],
    worker: Worker,
) -> None:
    product = await make_product(title="Old title")
    for title in ("Second title", "Third title"):
        response = await client.patch(
            f"/api/v1/products/{product['id']}", json={"title": title}, headers=admin_headers
        )
        assert response.status_code == 200
    statuses = {r.sync_id: r.status for r in await _rows(app) if r.entity == "product"}
    assert statuses == {
        f"product:{product['id']}:1": "superseded",
        f"product:{product['id']}:2": "superseded",
        f"product:{product['id']}:3": "pending",
    }
    await worker.drain()
    erp = app.state.erp_settings
    assert erp.delivering
    delivered = [r.sync_id for r in await _rows(app) if r.status == "delivered"]
    assert f"product:{product['id']}:3" in delivered and len(delivered) == 2  # product, stock


async def test_nothing_is_recorded_without_an_erp_to_deliver_to(
    settings: Settings, engine: object
) -> None:
    made = create_app(settings)
    made.state.erp_settings = ErpSettings(_env_file=None, secret=SecretStr("s" * 40))  # type: ignore[call-arg]
    async with made.router.lifespan_context(made):
        async with made.state.sessionmaker() as session:
            await changes.record(session, "stock", 1)
            await session.commit()
        assert await _rows(made) == []
