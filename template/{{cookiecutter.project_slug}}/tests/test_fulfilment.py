"""Shipping orders in parcels, receipt, the upkeep job that completes orders, and reporting
parcels of WeChat Pay orders to a fake WeChat's shipping information."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import update

from app.auth.models import User
from app.core.config import Settings
from app.fulfilment.dependencies import create_shipping_uploader
from app.fulfilment.models import Shipment
from app.fulfilment.sync import masked, pause, sync_due
from app.orders.models import Order
from app.orders.service import OrderService
from app.payments.channels import CHANNELS
from tests.fakes.wechat import FakeWechat
from tests.fakes.wechatpay import FakeWechatPay, new_key
from tests.markers import requires

pytestmark = [
    requires(
        "createOrder",
        "getOrder",
        "createPayment",
        "createShipment",
        "listShipments",
        "confirmReceipt",
        "receiveWechatPayNotification",
    ),
    pytest.mark.skipif("mock" not in CHANNELS, reason="the project has no mock channel"),
]

Headers = dict[str, str]
NOTIFY = "/api/v1/payments/wechat/notifications"
SECRETS = {"wechatpay_api_v3_key", "wechatpay_private_key", "payment_mock_secret"}


@pytest.fixture(scope="session")
def pay() -> FakeWechatPay:
    return FakeWechatPay(merchant_key=new_key(), platform_key=new_key())


@pytest.fixture
def settings(settings: Settings, pay: FakeWechatPay) -> Settings:
    values: dict[str, Any] = {**pay.settings(), "payment_mock_secret": "mock-secret-for-tests"}
    values = {k: SecretStr(v) if k in SECRETS else v for k, v in values.items()}
    return settings.model_copy(update=values)


@pytest.fixture
async def wechat(app: FastAPI, pay: FakeWechatPay) -> AsyncIterator[FakeWechat]:
    """WeChat Pay and the mini-program API, both fakes, behind the app's HTTP client; the
    shipping reporter rebuilt on it."""
    pay.forget()
    mini = FakeWechat(app_id="wx-test-app", secret="wechat-test-secret")

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.host == "wechat.invalid":
            return mini.handle(request)
        return pay.handle(request)

    real, real_uploader = app.state.http, app.state.shipping_uploader
    app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(route))
    app.state.shipping_uploader = create_shipping_uploader(app.state.settings, app.state.http, None)
    yield mini
    await app.state.http.aclose()
    app.state.http, app.state.shipping_uploader = real, real_uploader


@pytest.fixture
async def buyer(app: FastAPI) -> Headers:
    async with app.state.sessionmaker() as session:
        user = User(display_name="李伟", wechat_app_id="wx-test-app", wechat_openid="o-buyer")
        session.add(user)
        await session.commit()
    token, _ = app.state.token_codec.issue(str(user.id), "access", role="customer")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def paid_order(
    client: httpx.AsyncClient,
    make_product: Callable[..., Any],
    buyer: Headers,
    pay: FakeWechatPay,
) -> Callable[..., Any]:
    async def place(channel: str = "mock") -> dict[str, Any]:
        tea = await make_product(sku=f"TEA-{uuid.uuid4().hex[:6]}", price_cents=16800, stock=9)
        cup = await make_product(sku=f"CUP-{uuid.uuid4().hex[:6]}", price_cents=6800, stock=9)
        address = await client.post(
            "/api/v1/users/me/addresses",
            json={
                "recipient": "李伟",
                "phone": "13800138000",
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "detail": "文三路 478 号",
            },
            headers=buyer,
        )
        body: dict[str, Any] = {
            "items": [
                {"product_id": tea["id"], "quantity": 2},
                {"product_id": cup["id"], "quantity": 1},
            ]
        }
        if address.status_code == 201:
            body["address_id"] = address.json()["data"]["id"]
        placed = await client.post(
            "/api/v1/orders", json=body, headers={**buyer, "Idempotency-Key": str(uuid.uuid4())}
        )
        order: dict[str, Any] = placed.json()["data"]
        paying = await client.post(
            "/api/v1/payments", json={"order_id": order["id"], "channel": channel}, headers=buyer
        )
        assert paying.status_code == 201, paying.text
        if channel == "wechat":
            payment = paying.json()["data"]
            headers, raw = pay.notification(
                pay.transaction(payment["out_trade_no"], order["total_cents"])
            )
            assert (await client.post(NOTIFY, content=raw, headers=headers)).status_code == 204
        read = await client.get(f"/api/v1/orders/{order['id']}", headers=buyer)
        paid: dict[str, Any] = read.json()["data"]
        assert paid["status"] == "paid"
        return paid

    return place


async def _ship(
    client: httpx.AsyncClient, headers: Headers, order_id: int, tracking: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/orders/{order_id}/shipments",
        json={"carrier_code": "SF", "tracking_number": tracking, **body},
        headers=headers,
    )


async def _order(client: httpx.AsyncClient, headers: Headers, order_id: int) -> Any:
    return (await client.get(f"/api/v1/orders/{order_id}", headers=headers)).json()["data"]


async def test_an_order_ships_in_parcels_and_completes_on_receipt(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order()
    tea, cup = order["items"]
    first = await _ship(
        client,
        admin_headers,
        order["id"],
        "SF1001",
        items=[{"order_item_id": tea["id"], "quantity": 2}],
    )
    assert first.status_code == 201, first.text
    parcel = first.json()["data"]
    assert parcel["items"] == [
        {"order_item_id": tea["id"], "variant_id": tea["variant_id"], "quantity": 2}
    ]
    assert parcel["wechat_sync_status"] == "not_required"
    half = await _order(client, buyer, order["id"])
    assert (half["status"], half["shipping_status"], half["shipped_at"]) == (
        "partially_shipped",
        "partially_shipped",
        None,
    )
    early = await client.post(f"/api/v1/orders/{order['id']}/receipt", headers=buyer)
    assert (early.status_code, early.json()["code"]) == (409, 40902)

    replay = await _ship(
        client,
        admin_headers,
        order["id"],
        "SF1001",
        items=[{"order_item_id": tea["id"], "quantity": 2}],
    )
    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, "true")
    assert replay.json()["data"]["id"] == parcel["id"]
    clash = await _ship(
        client,
        admin_headers,
        order["id"],
        "SF1001",
        items=[{"order_item_id": cup["id"], "quantity": 1}],
    )
    assert (clash.status_code, clash.json()["code"]) == (409, 40904)
    over = await _ship(
        client,
        admin_headers,
        order["id"],
        "SF1002",
        items=[{"order_item_id": tea["id"], "quantity": 1}],
    )
    assert (over.status_code, over.json()["code"]) == (409, 40907)
    foreign = await _ship(
        client,
        admin_headers,
        order["id"],
        "SF1003",
        items=[{"order_item_id": 999_999, "quantity": 1}],
    )
    assert (foreign.status_code, foreign.json()["code"]) == (422, 42203)

    rest = await _ship(client, admin_headers, order["id"], "SF1004")  # everything left
    assert rest.status_code == 201, rest.text
    assert rest.json()["data"]["items"] == [
        {"order_item_id": cup["id"], "variant_id": cup["variant_id"], "quantity": 1}
    ]
    shipped = await _order(client, buyer, order["id"])
    assert (shipped["status"], shipped["shipping_status"]) == ("shipped", "shipped")
    assert shipped["shipped_at"] is not None
    assert [s["tracking_number"] for s in shipped["shipments"]] == ["SF1001", "SF1004"]
    listed = await client.get(f"/api/v1/orders/{order['id']}/shipments", headers=buyer)
    assert listed.json()["data"]["total"] == 2
    nothing_left = await _ship(client, admin_headers, order["id"], "SF1005")
    assert nothing_left.status_code == 409

    received = await client.post(f"/api/v1/orders/{order['id']}/receipt", headers=buyer)
    assert received.status_code == 200, received.text
    assert received.json()["data"]["status"] == "completed"
    again = await client.post(f"/api/v1/orders/{order['id']}/receipt", headers=buyer)
    assert again.status_code == 200
    assert again.json()["data"] == received.json()["data"]


async def test_unpaid_orders_do_not_ship_and_customers_do_not_ship(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    other_customer_headers: Headers,
    make_product: Callable[..., Any],
    paid_order: Callable[..., Any],
) -> None:
    product = await make_product(sku="UNPAID")
    placed = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": 1}]},
        headers={**buyer, "Idempotency-Key": str(uuid.uuid4())},
    )
    unpaid = placed.json()["data"]
    refused = await _ship(client, admin_headers, unpaid["id"], "SF2001")
    assert (refused.status_code, refused.json()["code"]) == (409, 40902)
    assert (await _order(client, buyer, unpaid["id"]))["shipments"] == []
    order = await paid_order()
    customer = await _ship(client, buyer, order["id"], "SF2002")
    assert customer.status_code == 403
    theirs = await client.post(
        f"/api/v1/orders/{order['id']}/receipt", headers=other_customer_headers
    )
    assert theirs.status_code == 404


async def test_two_parcels_of_the_same_units_at_once_ship_once(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order()
    answers = await asyncio.gather(
        *(_ship(client, admin_headers, order["id"], f"SF30{n}") for n in range(2))
    )
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    shipped = await _order(client, buyer, order["id"])
    assert [item["shipped_quantity"] for item in shipped["items"]] == [2, 1]
    assert len(shipped["shipments"]) == 1


async def test_a_refund_of_unshipped_units_completes_the_shipping(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order()
    tea, cup = order["items"]
    await _ship(
        client,
        admin_headers,
        order["id"],
        "SF4001",
        items=[{"order_item_id": tea["id"], "quantity": 2}],
    )
    refund = await client.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"reason": "缺货", "items": [{"order_item_id": cup["id"], "quantity": 1}]},
        headers={**admin_headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert refund.status_code == 201, refund.text
    assert refund.json()["data"]["restock"] is False, "the order had shipped: no restock by default"
    after = await _order(client, buyer, order["id"])
    assert (after["status"], after["shipping_status"]) == ("partially_refunded", "shipped")
    received = await client.post(f"/api/v1/orders/{order['id']}/receipt", headers=buyer)
    assert received.status_code == 200
    assert received.json()["data"]["status"] == "partially_refunded"
    assert received.json()["data"]["completed_at"] is not None


async def test_the_upkeep_job_completes_orders_nobody_confirmed(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order()
    await _ship(client, admin_headers, order["id"], "SF5001")
    async with app.state.sessionmaker() as session:
        orders = OrderService(session, app.state.stock)
        assert await orders.complete_due(datetime.now(UTC) - timedelta(days=10)) == 0
        long_ago = datetime.now(UTC) - timedelta(days=11)
        await session.execute(
            update(Order).where(Order.id == order["id"]).values(shipped_at=long_ago)
        )
        await session.commit()
        assert await orders.complete_due(datetime.now(UTC) - timedelta(days=10)) == 1
        assert await orders.complete_due(datetime.now(UTC) - timedelta(days=10)) == 0
    assert (await _order(client, buyer, order["id"]))["status"] == "completed"


def test_contacts_are_masked_and_pauses_grow() -> None:
    assert masked("13800138000") == "138****8000"
    assert masked("+86 138-0013-8000") == "861******8000"
    assert masked("8000") == "8000"
    assert [pause(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


async def test_wechat_pay_parcels_are_reported_to_wechat(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    wechat: FakeWechat,
    pay: FakeWechatPay,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order("wechat")
    tea, cup = order["items"]
    first = await _ship(
        client,
        admin_headers,
        order["id"],
        "SF6001",
        items=[{"order_item_id": tea["id"], "quantity": 2}],
    )
    assert first.status_code == 201, first.text
    [upload] = wechat.uploads
    payment = order["payments"][0]
    assert upload["order_key"] == {
        "order_number_type": 2,
        "transaction_id": payment["transaction_id"],
    }
    assert (upload["logistics_type"], upload["delivery_mode"], upload["is_all_delivered"]) == (
        1,
        2,
        False,
    )
    assert upload["shipping_list"] == [
        {
            "tracking_no": "SF6001",
            "express_company": "SF",
            "item_desc": f"{tea['title']}*2",
            "contact": {"receiver_contact": "138****8000"},
        }
    ]
    assert upload["payer"] == {"openid": "o-buyer"}
    assert datetime.fromisoformat(upload["upload_time"]).utcoffset() == timedelta(hours=8)
    shipped = await _order(client, buyer, order["id"])
    assert shipped["shipments"][0]["wechat_sync_status"] == "synced"
    assert shipped["shipments"][0]["wechat_sync_attempts"] == 1

    wechat.errors = [-1]  # WeChat busy: the next attempt waits, then succeeds
    second = await _ship(client, admin_headers, order["id"], "SF6002")
    assert second.status_code == 201
    pending = (await _order(client, buyer, order["id"]))["shipments"][1]
    assert (pending["wechat_sync_status"], pending["wechat_sync_attempts"]) == ("pending", 1)
    assert "errcode -1" in pending["wechat_sync_error"]
    uploader = app.state.shipping_uploader
    assert await sync_due(app.state.sessionmaker, uploader, max_attempts=12) == 0, "not due yet"
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await sync_due(app.state.sessionmaker, uploader, max_attempts=12, now=later) == 1
    assert len(wechat.uploads) == 2
    last = wechat.uploads[-1]
    assert (last["delivery_mode"], last["is_all_delivered"]) == (2, True)
    assert [p["tracking_no"] for p in last["shipping_list"]] == ["SF6001", "SF6002"]
    assert wechat.token_requests == 1, "the access_token is fetched once and kept"
    synced = (await _order(client, buyer, order["id"]))["shipments"]
    assert [(s["wechat_sync_status"], s["wechat_sync_error"]) for s in synced] == [
        ("synced", None),
        ("synced", None),
    ]


async def test_a_revoked_token_is_fetched_again_and_a_refusal_is_final(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    wechat: FakeWechat,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order("wechat")
    tea, cup = order["items"]
    await _ship(
        client,
        admin_headers,
        order["id"],
        "SF7001",
        items=[{"order_item_id": tea["id"], "quantity": 1}],
    )
    assert wechat.token_requests == 1
    wechat.revoke()
    await _ship(
        client,
        admin_headers,
        order["id"],
        "SF7002",
        items=[{"order_item_id": tea["id"], "quantity": 1}],
    )
    revoked = (await _order(client, buyer, order["id"]))["shipments"][1]
    assert revoked["wechat_sync_status"] == "pending"
    assert "errcode 40001" in revoked["wechat_sync_error"]
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert (
        await sync_due(
            app.state.sessionmaker, app.state.shipping_uploader, max_attempts=12, now=later
        )
        == 1
    )
    assert wechat.token_requests == 2

    wechat.errors = [10060002]  # already delivered: no retry can fix it
    await _ship(client, admin_headers, order["id"], "SF7003")
    refused = (await _order(client, buyer, order["id"]))["shipments"][2]
    assert refused["wechat_sync_status"] == "failed"
    assert "10060002" in refused["wechat_sync_error"]
    async with app.state.sessionmaker() as session:
        due = await session.get(Shipment, refused["id"])
        assert due is not None and due.wechat_next_attempt_at is None


async def test_retries_stop_after_the_last_attempt(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    wechat: FakeWechat,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order("wechat")
    wechat.errors = [-1, -1, -1]
    await _ship(client, admin_headers, order["id"], "SF8001")
    now = datetime.now(UTC)
    for _ in range(2):  # attempts 2 and 3
        now += timedelta(hours=2)
        await sync_due(app.state.sessionmaker, app.state.shipping_uploader, max_attempts=3, now=now)
    [parcel] = (await _order(client, buyer, order["id"]))["shipments"]
    assert (parcel["wechat_sync_status"], parcel["wechat_sync_attempts"]) == ("failed", 3)
    assert wechat.uploads == []
