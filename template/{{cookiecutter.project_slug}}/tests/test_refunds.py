"""Refunds: through the mock channel at once, through a fake WeChat Pay by notification;
never more than was paid, settled once, restocked once - with the database alone and with
Redis in front of it."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from pydantic import SecretStr

from app.auth.models import User
from app.core.config import Settings
from app.orders.service import OrderService
from app.payments.channels import CHANNELS
from app.payments.dependencies import utc_now, wechat_pay_config
from app.payments.models import Payment
from app.payments.wechat import WechatPayClient
from app.refunds.service import RefundService
from app.stock.backend import stock_key
from tests.fakes.wechatpay import FakeWechatPay, new_key
from tests.markers import requires
from tests.redis_server import fresh_redis_url
from tests.variants import variant_of, variant_stock

pytestmark = [
    requires(
        "createOrder",
        "getOrder",
        "createPayment",
        "createRefund",
        "listRefunds",
        "getRefund",
        "receiveWechatPayNotification",
        "receiveWechatPayRefundNotification",
    ),
    pytest.mark.skipif("mock" not in CHANNELS, reason="the project has no mock channel"),
]

Headers = dict[str, str]
NOTIFY = "/api/v1/payments/wechat/notifications"
REFUND_NOTIFY = "/api/v1/payments/wechat/refund-notifications"
SECRETS = {"wechatpay_api_v3_key", "wechatpay_private_key", "payment_mock_secret"}


@pytest.fixture(scope="session")
def fake() -> FakeWechatPay:
    return FakeWechatPay(merchant_key=new_key(), platform_key=new_key())


@pytest.fixture(params=["database", "redis"])
def settings(request: pytest.FixtureRequest, settings: Settings, fake: FakeWechatPay) -> Settings:
    values: dict[str, Any] = {**fake.settings(), "payment_mock_secret": "mock-secret-for-tests"}
    if request.param == "redis":
        values["redis_url"] = fresh_redis_url(request)
    values = {k: SecretStr(v) if k in SECRETS else v for k, v in values.items()}
    return settings.model_copy(update=values)


@pytest.fixture
async def wechat_app(app: FastAPI, fake: FakeWechatPay) -> AsyncIterator[FastAPI]:
    fake.forget()
    real = app.state.http
    app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    yield app
    await app.state.http.aclose()
    app.state.http = real


@pytest.fixture
async def buyer(app: FastAPI) -> Headers:
    """A customer who logged in through WeChat (WeChat Pay needs the payer's openid)."""
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
    fake: FakeWechatPay,
) -> Callable[..., Any]:
    """An order of two products (2 × 16800 and 1 × 6800 CNY), paid through `channel`."""

    async def place(channel: str = "mock") -> dict[str, Any]:
        tea = await make_product(sku=f"TEA-{uuid.uuid4().hex[:6]}", price_cents=16800, stock=10)
        cup = await make_product(sku=f"CUP-{uuid.uuid4().hex[:6]}", price_cents=6800, stock=10)
        items = [{"product_id": tea["id"], "quantity": 2}, {"product_id": cup["id"], "quantity": 1}]
        placed = await client.post(
            "/api/v1/orders",
            json={"items": items},
            headers={**buyer, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert placed.status_code == 201, placed.text
        order: dict[str, Any] = placed.json()["data"]
        paying = await client.post(
            "/api/v1/payments", json={"order_id": order["id"], "channel": channel}, headers=buyer
        )
        assert paying.status_code == 201, paying.text
        if channel == "wechat":
            payment = paying.json()["data"]
            transaction = fake.transaction(payment["out_trade_no"], order["total_cents"])
            headers, body = fake.notification(transaction)
            assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 204
        paid = await client.get(f"/api/v1/orders/{order['id']}", headers=buyer)
        assert paid.json()["data"]["status"] == "paid"
        return {**paid.json()["data"], "tea": tea, "cup": cup}

    return place


async def _refund(
    client: httpx.AsyncClient, headers: Headers, order_id: int, key: str | None = None, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/orders/{order_id}/refunds",
        json={"reason": "尺码不合适", **body},
        headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
    )


async def _order(client: httpx.AsyncClient, headers: Headers, order_id: int) -> Any:
    return (await client.get(f"/api/v1/orders/{order_id}", headers=headers)).json()["data"]


async def _stocks(app: FastAPI, product_id: int) -> tuple[int, int | None]:
    """The stock of a product's one variant in the database and in Redis (None without)."""
    variant = await variant_of(app, product_id)
    url = app.state.settings.redis_url
    counted = None
    if url is not None:
        with redis.Redis.from_url(url) as client:
            value = client.get(stock_key(variant))
        counted = int(value) if value is not None else None
    return await variant_stock(app, variant), counted


def _line(order: dict[str, Any], product: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in order["items"] if item["product_id"] == product["id"])


async def test_a_line_refunded_with_restock_comes_back_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order()
    cup = _line(order, order["cup"])
    assert await _stocks(app, order["cup"]["id"]) in ((9, 9), (9, None))
    key = str(uuid.uuid4())
    body = {"items": [{"order_item_id": cup["id"], "quantity": 1}], "restock": True}
    first = await _refund(client, admin_headers, order["id"], key, **body)
    assert first.status_code == 201, first.text
    refund = first.json()["data"]
    assert (refund["status"], refund["amount_cents"], refund["channel"]) == (
        "succeeded",
        6800,
        "mock",
    )
    assert refund["items"] == [
        {"order_item_id": cup["id"], "variant_id": cup["variant_id"], "quantity": 1}
    ]
    assert await _stocks(app, order["cup"]["id"]) in ((10, 10), (10, None))

    replay = await _refund(client, admin_headers, order["id"], key, **body)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert await _stocks(app, order["cup"]["id"]) in ((10, 10), (10, None))

    after = await _order(client, buyer, order["id"])
    assert (after["status"], after["refunded_cents"]) == ("partially_refunded", 6800)
    assert _line(after, order["cup"])["refunded_quantity"] == 1
    assert [r["id"] for r in after["refunds"]] == [refund["id"]]
    listed = await client.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer)
    assert [r["id"] for r in listed.json()["data"]["items"]] == [refund["id"]]
    read = await client.get(f"/api/v1/orders/{order['id']}/refunds/{refund['id']}", headers=buyer)
    assert read.json()["data"] == refund

    reused = await _refund(client, admin_headers, order["id"], key, amount_cents=1)
    assert reused.status_code == 422
    assert reused.json()["code"] == 42202


async def test_refunds_never_give_back_more_than_was_paid(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    paid_order: Callable[..., Any],
    other_customer_headers: Headers,
) -> None:
    order = await paid_order()
    tea = _line(order, order["tea"])
    total = order["total_cents"]
    too_much = await _refund(client, admin_headers, order["id"], amount_cents=total + 1)
    assert too_much.status_code == 409
    assert too_much.json()["code"] == 40906
    units = await _refund(
        client, admin_headers, order["id"], items=[{"order_item_id": tea["id"], "quantity": 3}]
    )
    assert units.status_code == 409
    priced = await _refund(
        client,
        admin_headers,
        order["id"],
        items=[{"order_item_id": tea["id"], "quantity": 1}],
        amount_cents=16801,
    )
    assert priced.status_code == 422
    foreign = await _refund(
        client, admin_headers, order["id"], items=[{"order_item_id": 999_999, "quantity": 1}]
    )
    assert (foreign.status_code, foreign.json()["code"]) == (422, 42203)
    nothing = await _refund(client, admin_headers, order["id"])
    assert nothing.status_code == 422
    customer = await _refund(client, other_customer_headers, order["id"], amount_cents=100)
    assert customer.status_code == 403
    missing_key = await client.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"reason": "x", "amount_cents": 1},
        headers=admin_headers,
    )
    assert missing_key.status_code == 400
    unchanged = await _order(client, buyer, order["id"])
    assert (unchanged["status"], unchanged["refunded_cents"], unchanged["refunds"]) == (
        "paid",
        0,
        [],
    )

    part = await _refund(client, admin_headers, order["id"], amount_cents=1000)
    assert part.status_code == 201, part.text
    rest = await _refund(client, admin_headers, order["id"], amount_cents=total - 1000)
    assert rest.status_code == 201, rest.text
    done = await _order(client, buyer, order["id"])
    assert (done["status"], done["refunded_cents"]) == ("refunded", total)
    more = await _refund(client, admin_headers, order["id"], amount_cents=1)
    assert (more.status_code, more.json()["code"]) == (409, 40902)


async def test_two_full_refunds_at_once_give_one_success_and_one_409(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order()
    answers = await asyncio.gather(
        *(
            _refund(client, admin_headers, order["id"], amount_cents=order["total_cents"])
            for _ in range(2)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    # More than is left while the first is pending, or nothing left once it succeeded.
    assert refused.json()["code"] in (40902, 40906)
    done = await _order(client, buyer, order["id"])
    assert (done["status"], done["refunded_cents"], len(done["refunds"])) == (
        "refunded",
        order["total_cents"],
        1,
    )


async def test_an_unpaid_order_has_nothing_to_refund(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product()
    placed = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": 1}]},
        headers={**buyer, "Idempotency-Key": str(uuid.uuid4())},
    )
    order = placed.json()["data"]
    refused = await _refund(client, admin_headers, order["id"], amount_cents=100)
    assert refused.status_code == 409
    assert refused.json()["code"] == 40902
    missing = await _refund(client, admin_headers, 999_999, amount_cents=100)
    assert missing.status_code == 404


@pytest.mark.usefixtures("wechat_app")
async def test_a_wechat_refund_settles_once_by_its_notification(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    fake: FakeWechatPay,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order("wechat")
    tea = _line(order, order["tea"])
    asked = await _refund(
        client,
        admin_headers,
        order["id"],
        items=[{"order_item_id": tea["id"], "quantity": 1}],
        restock=True,
    )
    assert asked.status_code == 201, asked.text
    refund = asked.json()["data"]
    assert refund["status"] == "pending"
    assert fake.rejected == [], "WeChat Pay refused the merchant's signature"
    sent = fake.refunds[refund["out_refund_no"]]
    assert sent["amount"] == {"refund": 16800, "total": order["total_cents"], "currency": "CNY"}
    assert sent["out_trade_no"] == order["payments"][0]["out_trade_no"]
    assert (
        sent["notify_url"] == "https://shop.example.com/api/v1/payments/wechat/refund-notifications"
    )
    assert refund["channel_refund_id"] == sent["refund_id"]
    assert (await _order(client, buyer, order["id"]))["status"] == "paid"
    assert (await _stocks(app, order["tea"]["id"]))[0] == 8

    headers, body = fake.refund_notification(fake.refund_resource(refund["out_refund_no"]))
    applied = await client.post(REFUND_NOTIFY, content=body, headers=headers)
    assert (applied.status_code, applied.content) == (204, b"")
    settled = await _order(client, buyer, order["id"])
    assert (settled["status"], settled["refunded_cents"]) == ("partially_refunded", 16800)
    assert settled["refunds"][0]["status"] == "succeeded"
    assert await _stocks(app, order["tea"]["id"]) in ((9, 9), (9, None))

    for _ in range(3):  # WeChat Pay repeats notifications; a repeat changes nothing
        again = await client.post(REFUND_NOTIFY, content=body, headers=headers)
        assert again.status_code == 204
    assert await _order(client, buyer, order["id"]) == settled
    assert await _stocks(app, order["tea"]["id"]) in ((9, 9), (9, None))


@pytest.mark.usefixtures("wechat_app")
async def test_forged_or_mismatched_refund_notifications_change_nothing(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    fake: FakeWechatPay,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order("wechat")
    refund = (await _refund(client, admin_headers, order["id"], amount_cents=500)).json()["data"]
    resource = fake.refund_resource(refund["out_refund_no"])
    forged = fake.refund_notification(resource, key=new_key())
    stale = fake.refund_notification(resource, timestamp=int(datetime.now(UTC).timestamp()) - 600)
    wrong_amount = fake.refund_notification(
        {**resource, "amount": {**resource["amount"], "refund": 5000}}
    )
    other_merchant = fake.refund_notification({**resource, "mchid": "1900000000"})
    unknown = fake.refund_notification({**resource, "out_refund_no": "RF-UNKNOWN"})
    for (headers, body), status in (
        (forged, 401),
        (stale, 401),
        (wrong_amount, 400),
        (other_merchant, 400),
        (unknown, 400),
    ):
        answer = await client.post(REFUND_NOTIFY, content=body, headers=headers)
        assert answer.status_code == status, answer.text
        assert answer.json()["code"] == "FAIL"
    unsigned = await client.post(REFUND_NOTIFY, content=forged[1])
    assert unsigned.status_code == 401
    after = await _order(client, buyer, order["id"])
    assert (after["status"], after["refunded_cents"], after["refunds"][0]["status"]) == (
        "paid",
        0,
        "pending",
    )


@pytest.mark.usefixtures("wechat_app")
async def test_a_closed_refund_gives_its_amount_back_and_abnormal_still_succeeds(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    fake: FakeWechatPay,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order("wechat")
    total = order["total_cents"]
    first = (await _refund(client, admin_headers, order["id"], amount_cents=total)).json()["data"]
    headers, body = fake.refund_notification(fake.refund_resource(first["out_refund_no"], "CLOSED"))
    assert (await client.post(REFUND_NOTIFY, content=body, headers=headers)).status_code == 204
    closed = await _order(client, buyer, order["id"])
    assert (closed["status"], closed["refunds"][0]["status"]) == ("paid", "closed")

    second = await _refund(client, admin_headers, order["id"], amount_cents=total)
    assert second.status_code == 201, second.text
    out_refund_no = second.json()["data"]["out_refund_no"]
    for status in ("ABNORMAL", "SUCCESS"):
        headers, body = fake.refund_notification(fake.refund_resource(out_refund_no, status))
        assert (await client.post(REFUND_NOTIFY, content=body, headers=headers)).status_code == 204
    done = await _order(client, buyer, order["id"])
    assert (done["status"], done["refunded_cents"]) == ("refunded", total)
    # A late CLOSED after success changes nothing.
    headers, body = fake.refund_notification(fake.refund_resource(out_refund_no, "CLOSED"))
    assert (await client.post(REFUND_NOTIFY, content=body, headers=headers)).status_code == 204
    assert await _order(client, buyer, order["id"]) == done


@pytest.mark.usefixtures("wechat_app")
async def test_a_refused_refund_is_closed_and_a_lost_answer_is_asked_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    fake: FakeWechatPay,
    paid_order: Callable[..., Any],
) -> None:
    order = await paid_order("wechat")
    fake.refund_error = (403, "NOT_ENOUGH")
    key = str(uuid.uuid4())
    refused = await _refund(client, admin_headers, order["id"], key, amount_cents=700)
    assert refused.status_code == 502
    assert refused.json()["code"] == 50201
    after = await _order(client, buyer, order["id"])
    assert [r["status"] for r in after["refunds"]] == ["closed"]
    retried = await _refund(client, admin_headers, order["id"], key, amount_cents=700)
    assert retried.status_code == 201, "a 5xx forgets the key, so the retry runs afresh"

    def no_answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(no_answer))
    lost = await _refund(client, admin_headers, order["id"], amount_cents=300)
    assert lost.status_code == 201
    refund = lost.json()["data"]
    assert (refund["status"], refund["channel_refund_id"]) == ("pending", None)
    assert refund["out_refund_no"] not in fake.refunds

    app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    later = datetime.now(UTC) + timedelta(minutes=5)
    config = wechat_pay_config(app)
    assert config is not None
    async with app.state.sessionmaker() as session:
        service = RefundService(
            session,
            OrderService(session, app.state.stock),
            clock=lambda: later,
            wechat=WechatPayClient(app.state.http, config, utc_now),
        )
        assert await service.resubmit_due(later) == 1
    assert refund["out_refund_no"] in fake.refunds
    read = await client.get(f"/api/v1/orders/{order['id']}/refunds/{refund['id']}", headers=buyer)
    assert (
        read.json()["data"]["channel_refund_id"]
        == fake.refunds[refund["out_refund_no"]]["refund_id"]
    )


@pytest.mark.usefixtures("wechat_app")
async def test_money_taken_after_cancellation_is_refunded_and_the_order_stays_cancelled(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: Headers,
    buyer: Headers,
    fake: FakeWechatPay,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=3)
    placed = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": 1}]},
        headers={**buyer, "Idempotency-Key": str(uuid.uuid4())},
    )
    order = placed.json()["data"]
    paying = await client.post(
        "/api/v1/payments", json={"order_id": order["id"], "channel": "wechat"}, headers=buyer
    )
    payment = paying.json()["data"]
    await client.post(f"/api/v1/orders/{order['id']}/cancellation", headers=buyer)
    # The customer paid anyway, after cancelling: the money is owed back.
    transaction = fake.transaction(payment["out_trade_no"], order["total_cents"])
    headers, body = fake.notification(transaction)
    assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 204
    async with app.state.sessionmaker() as session:
        flagged = await session.get(Payment, payment["id"])
        assert flagged is not None and flagged.refund_required is True

    lines = await _refund(
        client,
        admin_headers,
        order["id"],
        payment_id=payment["id"],
        items=[{"order_item_id": order["items"][0]["id"], "quantity": 1}],
    )
    assert lines.status_code == 422, "that payment never paid the lines"
    refund = await _refund(
        client,
        admin_headers,
        order["id"],
        payment_id=payment["id"],
        amount_cents=order["total_cents"],
    )
    assert refund.status_code == 201, refund.text
    out_refund_no = refund.json()["data"]["out_refund_no"]
    headers, body = fake.refund_notification(fake.refund_resource(out_refund_no))
    assert (await client.post(REFUND_NOTIFY, content=body, headers=headers)).status_code == 204
    async with app.state.sessionmaker() as session:
        settled = await session.get(Payment, payment["id"], populate_existing=True)
        assert settled is not None and settled.refund_required is False
    after = await _order(client, buyer, order["id"])
    assert (after["status"], after["refunded_cents"]) == ("cancelled", 0)
    assert after["refunds"][0]["status"] == "succeeded"
