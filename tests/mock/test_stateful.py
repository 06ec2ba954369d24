"""`--stateful` on the canonical contract: a purchase clicked through, as a front end would."""

from __future__ import annotations

from typing import Any

import pytest

from shopgen.contract import Contract
from shopgen.mock import Mock, MockOptions, MockResponse

from .conftest import Judge, call

ORDERS = "/api/v1/orders"
PRODUCTS = "/api/v1/products"


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mock(shop: Contract, clock: Clock) -> Mock:
    return Mock(shop, MockOptions(stateful=True, token_ttl=60), clock=clock)


def data(response: MockResponse, status: int = 200) -> Any:
    assert response.status == status, response.body
    assert response.body["code"] == 0
    return response.body["data"]


def login(mock: Mock) -> dict[str, Any]:
    body = {"email": "emma@example.com", "password": "correct-horse-battery"}
    pair: dict[str, Any] = data(call(mock, "POST", "/api/v1/auth/tokens", body), 201)
    return pair


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


def test_a_purchase_from_catalogue_to_paid_order(mock: Mock, shop: Contract) -> None:
    judge = Judge(shop)
    auth = bearer(login(mock))
    catalogue = data(call(mock, "GET", PRODUCTS))
    product = next(p for p in catalogue["items"] if p["stock"] > 0)
    order_body = {"items": [{"product_id": product["id"], "quantity": 2}]}
    headers = {**auth, "Idempotency-Key": "order-0001-abcdef"}
    order = data(call(mock, "POST", ORDERS, order_body, headers=headers), 201)
    assert order["status"] == "pending_payment"
    assert order["items"][0]["unit_price_cents"] == product["price_cents"]
    assert order["total_cents"] == 2 * product["price_cents"]
    assert order["currency"] == product["currency"]
    again = data(call(mock, "POST", ORDERS, order_body, headers=headers), 201)
    assert again == order  # replayed, no second order
    assert data(call(mock, "GET", f"{PRODUCTS}/{product['id']}"))["stock"] == product["stock"] - 2

    payment_body = {"order_id": order["id"], "channel": "mock"}
    payment = data(call(mock, "POST", "/api/v1/payments", payment_body, headers=auth), 201)
    assert payment["status"] == "pending" and payment["amount_cents"] == order["total_cents"]
    settled = data(call(mock, "GET", f"/api/v1/payments/{payment['id']}", headers=auth))
    assert settled["status"] == "succeeded" and settled["paid_at"] is not None
    paid = call(mock, "GET", f"{ORDERS}/{order['id']}", headers=auth)
    assert data(paid)["status"] == "paid"
    assert not judge.problems(shop.components("schemas")["OrderEnvelope"], paid.body), (
        "a stateful answer still validates"
    )
    listed = data(call(mock, "GET", ORDERS, headers=auth, query={"status": ["paid"]}))
    assert [o["id"] for o in listed["items"]][0] == order["id"]
    assert all(o["status"] == "paid" for o in listed["items"])

    refused = call(mock, "POST", f"{ORDERS}/{order['id']}/cancellation", headers=auth)
    assert refused.status == 409 and refused.body["code"] == 40902


def test_products_are_created_read_updated_listed_and_deleted(mock: Mock) -> None:
    auth = bearer(login(mock))
    body = {"sku": "HAT-1", "title": "Beanie", "price_cents": 2900, "currency": "USD"}
    created = data(call(mock, "POST", PRODUCTS, body, headers=auth), 201)
    assert created["sku"] == "HAT-1" and created["status"] == "draft" and created["stock"] == 0
    url = f"{PRODUCTS}/{created['id']}"
    assert data(call(mock, "GET", url)) == created
    updated = data(call(mock, "PATCH", url, {"stock": 5, "status": "active"}, headers=auth))
    assert (updated["stock"], updated["status"], updated["title"]) == (5, "active", "Beanie")
    replaced_body = {
        **body,
        "description": "",
        "stock": 1,
        "status": "archived",
        "category": None,
        "images": [],
    }
    replaced = data(call(mock, "PUT", url, replaced_body, headers=auth))
    assert replaced["status"] == "archived" and replaced["id"] == created["id"]
    page = data(call(mock, "GET", PRODUCTS, query={"limit": ["1"], "page": ["1"]}))
    assert page["items"][0]["id"] == created["id"] and page["limit"] == 1
    assert page["total"] >= 2
    assert data(call(mock, "DELETE", url, headers=auth)) is None
    gone = call(mock, "GET", url)
    assert gone.status == 404 and gone.body == {"code": 40401, "data": None, "msg": "Not found"}


def test_orders_refuse_unknown_products_and_short_stock(mock: Mock) -> None:
    auth = bearer(login(mock))
    unknown = call(
        mock,
        "POST",
        ORDERS,
        {"items": [{"product_id": 999999, "quantity": 1}]},
        headers={**auth, "Idempotency-Key": "order-unknown-1"},
    )
    assert unknown.status == 422
    assert unknown.body["data"]["errors"][0]["field"] == "items.0.product_id"
    stock = data(call(mock, "GET", f"{PRODUCTS}/1024"))["stock"]
    lines = [{"product_id": 1024, "quantity": 99}] * (stock // 99 + 1)
    short = call(
        mock, "POST", ORDERS, {"items": lines}, headers={**auth, "Idempotency-Key": "order-short-1"}
    )
    assert short.status == 409 and short.body["code"] == 40901
    assert data(call(mock, "GET", f"{PRODUCTS}/1024"))["stock"] == stock  # nothing taken


def test_cancelling_returns_the_stock(mock: Mock) -> None:
    auth = bearer(login(mock))
    before = data(call(mock, "GET", f"{PRODUCTS}/1024"))["stock"]
    order = data(
        call(
            mock,
            "POST",
            ORDERS,
            {"items": [{"product_id": 1024, "quantity": 3}]},
            headers={**auth, "Idempotency-Key": "order-cancel-1"},
        ),
        201,
    )
    cancelled = data(call(mock, "POST", f"{ORDERS}/{order['id']}/cancellation", headers=auth))
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"] is not None
    assert data(call(mock, "GET", f"{PRODUCTS}/1024"))["stock"] == before


def test_the_same_idempotency_key_with_another_body_is_refused(mock: Mock) -> None:
    headers = {**bearer(login(mock)), "Idempotency-Key": "order-reuse-1"}
    first = call(
        mock, "POST", ORDERS, {"items": [{"product_id": 1024, "quantity": 1}]}, headers=headers
    )
    assert first.status == 201
    other = call(
        mock, "POST", ORDERS, {"items": [{"product_id": 1024, "quantity": 2}]}, headers=headers
    )
    assert other.status == 422 and other.body["code"] == 42202


def test_tokens_expire_refresh_once_and_reuse_revokes(mock: Mock, clock: Clock) -> None:
    pair = login(mock)
    me = "/api/v1/users/me"
    assert call(mock, "GET", me, headers=bearer(pair)).status == 200
    assert pair["expires_in"] == 60
    clock.now += 61
    expired = call(mock, "GET", me, headers=bearer(pair))
    assert expired.status == 401 and expired.body["code"] == 40102
    refresh = "/api/v1/auth/tokens/refresh"
    fresh = data(call(mock, "POST", refresh, {"refresh_token": pair["refresh_token"]}))
    assert call(mock, "GET", me, headers=bearer(fresh)).status == 200
    reused = call(mock, "POST", refresh, {"refresh_token": pair["refresh_token"]})
    assert reused.status == 401 and reused.body["code"] == 40104
    revoked = call(mock, "POST", refresh, {"refresh_token": fresh["refresh_token"]})
    assert revoked.status == 401 and revoked.body["code"] == 40101
    stranger = call(mock, "GET", me, headers={"Authorization": "Bearer made-up"})
    assert stranger.status == 401 and stranger.body["code"] == 40101
    missing = call(mock, "GET", me)
    assert missing.status == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
