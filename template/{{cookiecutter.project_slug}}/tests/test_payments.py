"""Payments end to end inside the app: createPayment against a fake WeChat Pay, then WeChat
Pay's notifications, real ones and every kind of bad one, and the mock channel."""

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from fastapi import FastAPI
from pydantic import SecretStr

from app.auth.models import User
from app.core.config import Settings
from app.payments.channels import CHANNELS
from app.payments.dependencies import get_clock
from app.payments.service import refunds_due
from tests.fakes.wechatpay import FakeWechatPay, new_key
from tests.markers import requires
from tests.redis_server import fresh_redis_url

pytestmark = requires("createOrder", "getOrder", "createPayment", "receiveWechatPayNotification")

NOTIFY = "/api/v1/payments/wechat/notifications"
SECRETS = {"wechatpay_api_v3_key", "wechatpay_private_key", "payment_mock_secret"}


@pytest.fixture(scope="session")
def fake() -> FakeWechatPay:
    return FakeWechatPay(merchant_key=new_key(), platform_key=new_key())


@pytest.fixture(params=["database", "redis"])
def settings(request: pytest.FixtureRequest, settings: Settings, fake: FakeWechatPay) -> Settings:
    """Each test twice: settling with row locks alone, and with the Redis lock in front."""
    values: dict[str, Any] = {**fake.settings(), "payment_mock_secret": "mock-secret-for-tests"}
    if request.param == "redis":
        values["redis_url"] = fresh_redis_url(request)
    values = {k: SecretStr(v) if k in SECRETS else v for k, v in values.items()}
    return settings.model_copy(update=values)


@pytest.fixture
async def wechat_app(app: FastAPI, fake: FakeWechatPay) -> AsyncIterator[FastAPI]:
    """The app with its outbound HTTP client wired to the fake WeChat Pay."""
    fake.orders.clear()
    fake.rejected.clear()
    real = app.state.http
    app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    yield app
    await app.state.http.aclose()
    app.state.http = real


@pytest.fixture
async def buyer(app: FastAPI) -> dict[str, str]:
    """A customer who logged in through WeChat (WeChat Pay needs the payer's openid)."""
    async with app.state.sessionmaker() as session:
        user = User(display_name="李伟", wechat_app_id="wx-test-app", wechat_openid="o-buyer")
        session.add(user)
        await session.commit()
    token, _ = app.state.token_codec.issue(str(user.id), "access", role="customer")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def place_order(
    client: httpx.AsyncClient, make_product: Callable[..., Any], buyer: dict[str, str]
) -> Callable[..., Any]:
    async def place(price_cents: int = 16800) -> dict[str, Any]:
        product = await make_product(sku=f"TEA-{uuid.uuid4().hex[:6]}", price_cents=price_cents)
        response = await client.post(
            "/api/v1/orders",
            json={"items": [{"product_id": product["id"], "quantity": 2}]},
            headers={**buyer, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()["data"]
        return order

    return place


async def pay(client: httpx.AsyncClient, buyer: dict[str, str], order_id: int) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/payments", json={"order_id": order_id, "channel": "wechat"}, headers=buyer
    )
    assert response.status_code == 201, response.text
    payment: dict[str, Any] = response.json()["data"]
    return payment


async def order_of(client: httpx.AsyncClient, buyer: dict[str, str], order_id: int) -> Any:
    return (await client.get(f"/api/v1/orders/{order_id}", headers=buyer)).json()["data"]


@pytest.mark.usefixtures("wechat_app")
async def test_create_payment_returns_signed_request_payment_params(
    client: httpx.AsyncClient,
    fake: FakeWechatPay,
    buyer: dict[str, str],
    place_order: Callable[..., Any],
) -> None:
    order = await place_order()
    payment = await pay(client, buyer, order["id"])
    assert fake.rejected == []
    assert payment["status"] == "pending"
    assert payment["amount_cents"] == order["total_cents"] == 33600
    placed = fake.orders[payment["out_trade_no"]]
    assert placed["amount"] == {"total": 33600, "currency": "CNY"}
    assert placed["payer"] == {"openid": "o-buyer"}
    params = payment["wechat_params"]
    assert params["package"] == f"prepay_id={placed['prepay_id']}"
    message = f"{fake.app_id}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    fake.merchant_key.public_key().verify(
        base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    again = await pay(client, buyer, order["id"])
    assert again["out_trade_no"] == payment["out_trade_no"], "one prepay order per order"


@pytest.mark.usefixtures("wechat_app")
async def test_a_notification_repeated_five_times_pays_once(
    client: httpx.AsyncClient,
    fake: FakeWechatPay,
    buyer: dict[str, str],
    place_order: Callable[..., Any],
) -> None:
    order = await place_order()
    payment = await pay(client, buyer, order["id"])
    transaction = fake.transaction(payment["out_trade_no"], order["total_cents"])
    headers, body = fake.notification(transaction)
    answers = [await client.post(NOTIFY, content=body, headers=headers) for _ in range(5)]
    assert [a.status_code for a in answers] == [204] * 5
    assert all(a.content == b"" for a in answers)
    paid = await order_of(client, buyer, order["id"])
    assert paid["status"] == "paid"
    # A fresh notification (new nonce and signature) of the same transaction changes nothing.
    headers, body = fake.notification(transaction)
    assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 204
    assert await order_of(client, buyer, order["id"]) == paid
    seen = await client.get(f"/api/v1/payments/{payment['id']}", headers=buyer)
    assert seen.json()["data"]["status"] == "succeeded"
    assert seen.json()["data"]["transaction_id"] == transaction["transaction_id"]
    assert seen.json()["data"]["wechat_params"] is None


BAD = [
    ("tampered body", 401),
    ("wrong signature", 401),
    ("wrong serial", 401),
    ("stale timestamp", 401),
    ("missing signature header", 401),
    ("wrong amount", 400),
    ("wrong mchid", 400),
    ("not successful", 400),
    ("unknown out_trade_no", 400),
    ("wrong api v3 key", 500),
]


@pytest.mark.usefixtures("wechat_app")
@pytest.mark.parametrize(("case", "status"), BAD, ids=[case for case, _ in BAD])
async def test_a_bad_notification_changes_nothing(
    client: httpx.AsyncClient,
    fake: FakeWechatPay,
    buyer: dict[str, str],
    place_order: Callable[..., Any],
    case: str,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    order = await place_order()
    payment = await pay(client, buyer, order["id"])
    transaction = fake.transaction(payment["out_trade_no"], order["total_cents"])
    headers, body = fake.notification(transaction)
    if case == "tampered body":
        body = body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESS ")
    elif case == "wrong signature":
        headers, body = fake.notification(transaction, key=new_key())
    elif case == "wrong serial":
        headers, body = fake.notification(transaction, serial="PUB_KEY_ID_0000000000000000")
    elif case == "stale timestamp":
        headers, body = fake.notification(
            transaction, timestamp=int(datetime.now().timestamp()) - 301
        )
    elif case == "missing signature header":
        del headers["Wechatpay-Signature"]
    elif case == "wrong amount":
        headers, body = fake.notification(
            {**transaction, "amount": {"total": 1, "currency": "CNY"}}
        )
    elif case == "wrong mchid":
        headers, body = fake.notification({**transaction, "mchid": "1900000999"})
    elif case == "not successful":
        headers, body = fake.notification({**transaction, "trade_state": "PAYERROR"})
    elif case == "unknown out_trade_no":
        headers, body = fake.notification({**transaction, "out_trade_no": "SG0T0000"})
    elif case == "wrong api v3 key":
        headers, body = fake.notification(transaction, api_v3_key="0" * 32)
    answer = await client.post(NOTIFY, content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == "FAIL"
    assert "rejected" in caplog.text
    assert (await order_of(client, buyer, order["id"]))["status"] == "pending_payment"
    seen = await client.get(f"/api/v1/payments/{payment['id']}", headers=buyer)
    assert seen.json()["data"]["status"] == "pending"


@pytest.mark.usefixtures("wechat_app")
async def test_freshness_follows_the_injected_clock(
    app: FastAPI,
    client: httpx.AsyncClient,
    fake: FakeWechatPay,
    buyer: dict[str, str],
    place_order: Callable[..., Any],
) -> None:
    order = await place_order()
    payment = await pay(client, buyer, order["id"])
    headers, body = fake.notification(
        fake.transaction(payment["out_trade_no"], order["total_cents"])
    )
    later = datetime.now(UTC) + timedelta(minutes=6)
    app.dependency_overrides[get_clock] = lambda: lambda: later
    assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 401
    del app.dependency_overrides[get_clock]
    assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 204


@pytest.mark.skipif("mock" not in CHANNELS, reason="the project has no mock channel")
async def test_the_mock_channel_pays_through_the_same_path(
    client: httpx.AsyncClient, buyer: dict[str, str], place_order: Callable[..., Any]
) -> None:
    order = await place_order()
    response = await client.post(
        "/api/v1/payments", json={"order_id": order["id"], "channel": "mock"}, headers=buyer
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["wechat_params"] is None
    assert (await order_of(client, buyer, order["id"]))["status"] == "paid"
    payment = response.json()["data"]["id"]
    seen = await client.get(f"/api/v1/payments/{payment}", headers=buyer)
    assert seen.json()["data"]["status"] == "succeeded"


async def test_the_mock_channel_is_off_in_production(
    app: FastAPI, client: httpx.AsyncClient, buyer: dict[str, str], place_order: Callable[..., Any]
) -> None:
    order = await place_order()
    app.state.settings = app.state.settings.model_copy(update={"payment_mock_enabled": False})
    response = await client.post(
        "/api/v1/payments", json={"order_id": order["id"], "channel": "mock"}, headers=buyer
    )
    assert response.status_code == 501
    assert (await order_of(client, buyer, order["id"]))["status"] == "pending_payment"


@pytest.mark.usefixtures("wechat_app")
async def test_concurrent_payments_of_one_order_open_one_prepay_order(
    client: httpx.AsyncClient,
    fake: FakeWechatPay,
    buyer: dict[str, str],
    place_order: Callable[..., Any],
) -> None:
    order = await place_order()
    body = {"order_id": order["id"], "channel": "wechat"}
    answers = await asyncio.gather(
        *(client.post("/api/v1/payments", json=body, headers=buyer) for _ in range(4))
    )
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["data"]["id"] for a in answers}) == 1
    assert len(fake.orders) == 1


@pytest.mark.usefixtures("wechat_app")
@pytest.mark.skipif("mock" not in CHANNELS, reason="the project has no mock channel")
async def test_money_taken_for_a_paid_order_is_kept_and_flagged_for_refund(
    app: FastAPI,
    client: httpx.AsyncClient,
    fake: FakeWechatPay,
    buyer: dict[str, str],
    place_order: Callable[..., Any],
) -> None:
    """The order is paid through the mock channel while its WeChat Pay payment is still
    open; then WeChat Pay says that one was paid too. Nothing may stay pending."""
    order = await place_order()
    wechat = await pay(client, buyer, order["id"])
    mock = await client.post(
        "/api/v1/payments", json={"order_id": order["id"], "channel": "mock"}, headers=buyer
    )
    assert mock.status_code == 201
    assert (await order_of(client, buyer, order["id"]))["status"] == "paid"
    headers, body = fake.notification(
        fake.transaction(wechat["out_trade_no"], order["total_cents"])
    )
    assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 204
    late = (await client.get(f"/api/v1/payments/{wechat['id']}", headers=buyer)).json()["data"]
    assert late["status"] == "succeeded"
    assert late["transaction_id"] is not None
    async with app.state.sessionmaker() as session:
        due = await refunds_due(session)
    assert [(p.id, p.refund_required) for p in due] == [(wechat["id"], True)]
    metrics = app.state.metrics.registry
    assert (
        metrics.get_sample_value(
            "payments_refund_required_total", {"channel": "wechat", "reason": "paid_twice"}
        )
        == 1.0
    )
    # The same late notification again is a repeat: no second flag, no second count.
    assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 204
    assert (
        metrics.get_sample_value(
            "payments_refund_required_total", {"channel": "wechat", "reason": "paid_twice"}
        )
        == 1.0
    )
