"""Admins run the shop through the API: every customer's orders, filtered, and the CSV export."""

import csv
import dataclasses
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.api import operations as ops
from app.orders.models import Order
from app.payments.channels import CHANNELS
from tests.markers import requires

pytestmark = [
    requires(
        "createOrder",
        "listOrders",
        "exportOrders",
        "createPayment",
        "createRefund",
        "createShipment",
    ),
    pytest.mark.skipif("mock" not in CHANNELS, reason="the project has no mock channel"),
]

Headers = dict[str, str]


async def _paid(
    client: httpx.AsyncClient, headers: Headers, product_id: int, quantity: int = 1
) -> dict[str, Any]:
    placed = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product_id, "quantity": quantity}]},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert placed.status_code == 201, placed.text
    order: dict[str, Any] = placed.json()["data"]
    paying = await client.post(
        "/api/v1/payments", json={"order_id": order["id"], "channel": "mock"}, headers=headers
    )
    assert paying.status_code == 201, paying.text
    return order


async def _ids(client: httpx.AsyncClient, headers: Headers, **params: Any) -> list[int]:
    response = await client.get("/api/v1/orders", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [order["id"] for order in response.json()["data"]["items"]]


def _filters() -> set[str]:
    """The query parameters this contract's listOrders declares (none without it)."""
    params = getattr(ops, "ListOrdersParams", None)
    return {field.name for field in dataclasses.fields(params)} if params else set()


@pytest.mark.skipif(
    not {"user_id", "created_from", "created_to", "has_refund", "shipping_status"} <= _filters(),
    reason="this contract's listOrders has fewer filters",
)
async def test_admins_filter_every_customers_orders(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: Headers,
    customer_headers: Headers,
    other_customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=20)
    mine = await _paid(client, customer_headers, product["id"])
    shipped = await _paid(client, other_customer_headers, product["id"])
    refunded = await _paid(client, other_customer_headers, product["id"], 2)
    await client.post(
        f"/api/v1/orders/{shipped['id']}/shipments",
        json={"carrier_code": "SF", "tracking_number": "SF1"},
        headers=admin_headers,
    )
    await client.post(
        f"/api/v1/orders/{refunded['id']}/refunds",
        json={"reason": "破损", "amount_cents": 100},
        headers={**admin_headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    last_year = datetime.now(UTC) - timedelta(days=365)
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(Order).where(Order.id == mine["id"]).values(created_at=last_year)
        )
        await session.commit()

    assert set(await _ids(client, admin_headers)) == {mine["id"], shipped["id"], refunded["id"]}
    theirs = await _ids(client, admin_headers, user_id=shipped["user_id"])
    assert set(theirs) == {shipped["id"], refunded["id"]}
    assert await _ids(client, admin_headers, has_refund="true") == [refunded["id"]]
    assert set(await _ids(client, admin_headers, has_refund="false")) == {mine["id"], shipped["id"]}
    assert await _ids(client, admin_headers, shipping_status="shipped") == [shipped["id"]]
    assert await _ids(client, admin_headers, status="partially_refunded") == [refunded["id"]]
    recent = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert set(await _ids(client, admin_headers, created_from=recent)) == {
        shipped["id"],
        refunded["id"],
    }
    assert await _ids(client, admin_headers, created_to=recent) == [mine["id"]]
    # A customer's filter never reaches past their own orders.
    assert await _ids(client, customer_headers, user_id=shipped["user_id"]) == []
    assert await _ids(client, customer_headers) == [mine["id"]]


async def test_the_export_lists_every_line_of_the_range(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: Headers,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    tea = await make_product(sku="TEA-9", title="西湖龙井", stock=10)
    cup = await make_product(sku="CUP-9", title="白瓷杯", price_cents=3000, stock=10)
    placed = await client.post(
        "/api/v1/orders",
        json={
            "items": [
                {"product_id": tea["id"], "quantity": 2},
                {"product_id": cup["id"], "quantity": 1},
            ]
        },
        headers={**customer_headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    order = placed.json()["data"]
    before = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    after = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    response = await client.get(
        "/api/v1/orders/export",
        params={"created_from": before, "created_to": after},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["order_id"], r["sku"], r["title"], r["quantity"]) for r in rows] == [
        (str(order["id"]), "TEA-9", "西湖龙井", "2"),
        (str(order["id"]), "CUP-9", "白瓷杯", "1"),
    ]
    assert rows[0]["email"] == "customer@example.com"
    assert rows[0]["total_cents"] == str(order["total_cents"])
    assert rows[0]["status"] == "pending_payment"

    empty = await client.get(
        "/api/v1/orders/export",
        params={"created_from": after, "created_to": after},
        headers=admin_headers,
    )
    assert len(list(csv.reader(io.StringIO(empty.content.decode("utf-8-sig"))))) == 1
    refused = await client.get(
        "/api/v1/orders/export",
        params={"created_from": before, "created_to": after},
        headers=customer_headers,
    )
    assert refused.status_code == 403
    no_range = await client.get("/api/v1/orders/export", headers=admin_headers)
    assert no_range.status_code == 422
