"""The message-push endpoint: the signature is checked before anything is read, a message is
stored once, Douyin gets the acknowledgement it expects, and the order it names is mirrored."""

import hashlib
import json

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.douyin.models import DouyinPushMessage
from app.orders.models import Order
from app.products.models import ProductVariant
from tests.douyin.conftest import SHOP_ID, add_product
from tests.douyin.fake_gateway import FakeDouyin

PUSH = "/api/v1/webhooks/douyin"
ACK = {"code": 0, "data": None, "msg": "success"}


@pytest.fixture
async def connected(app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    async with app.state.sessionmaker() as session:
        await add_product(session, "TEA", 10)
        await session.commit()
    body = {"grant_type": "authorization_self", "shop_id": SHOP_ID}
    response = await client.post("/api/v1/douyin/shops", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text


def _message(msg_id: str, order_id: str, tag: str = "101") -> dict[str, str]:
    event = {
        "p_id": int(order_id),
        "s_ids": [int(order_id)],
        "shop_id": int(SHOP_ID),
        "order_status": 2,
    }
    return {"tag": tag, "msg_id": msg_id, "data": json.dumps(event)}


async def _count(app: FastAPI, model: type) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("how", ["md5", "hmac-sha256"])
async def test_a_signed_push_is_acknowledged_and_its_order_mirrored(
    app: FastAPI, client: httpx.AsyncClient, fake: FakeDouyin, connected: None, how: str
) -> None:
    fake.put_order(
        SHOP_ID, "6919536723416223019", status=2, lines=[("TEA", 2, 100)], update_time=1_718_677_013
    )
    body, headers = fake.push([_message("m-1", "6919536723416223019")], how=how)
    response = await client.post(PUSH, content=body, headers=headers)
    assert response.status_code == 200 and response.json() == ACK
    async with app.state.sessionmaker() as session:
        order = await session.scalar(select(Order).where(Order.source == "douyin"))
        message = await session.scalar(select(DouyinPushMessage))
    assert order is not None and order.external_id == "6919536723416223019"
    assert order.status == "paid" and order.total_cents == 200
    assert (
        message is not None and message.status == "done" and message.order_id == order.external_id
    )


async def test_a_repeated_push_is_acknowledged_and_ignored(
    app: FastAPI, client: httpx.AsyncClient, fake: FakeDouyin, connected: None
) -> None:
    fake.put_order(SHOP_ID, "6901", status=2, lines=[("TEA", 1, 100)], update_time=1_718_677_013)
    body, headers = fake.push([_message("m-1", "6901"), _message("m-1", "6901")])
    for _ in range(3):
        response = await client.post(PUSH, content=body, headers=headers)
        assert response.status_code == 200 and response.json() == ACK
    assert await _count(app, DouyinPushMessage) == 1
    assert fake.count("order.orderDetail") == 1
    async with app.state.sessionmaker() as session:
        stock = await session.scalar(
            select(ProductVariant.stock).where(ProductVariant.sku == "TEA")
        )
    assert stock == 9


async def test_two_messages_about_one_order_change_it_once(
    app: FastAPI, client: httpx.AsyncClient, fake: FakeDouyin, connected: None
) -> None:
    fake.put_order(SHOP_ID, "6902", status=2, lines=[("TEA", 1, 100)], update_time=1_718_677_013)
    body, headers = fake.push([_message("m-1", "6902", "100"), _message("m-2", "6902", "101")])
    assert (await client.post(PUSH, content=body, headers=headers)).status_code == 200
    assert await _count(app, DouyinPushMessage) == 2
    assert await _count(app, Order) == 1
    async with app.state.sessionmaker() as session:
        stock = await session.scalar(
            select(ProductVariant.stock).where(ProductVariant.sku == "TEA")
        )
    assert stock == 9


@pytest.mark.parametrize(
    "change",
    ["body", "signature", "app-id", "no-signature", "sign-method"],
)
async def test_a_bad_signature_is_refused_before_anything_is_stored(
    app: FastAPI, client: httpx.AsyncClient, fake: FakeDouyin, change: str
) -> None:
    body, headers = fake.push([_message("m-1", "6901")])
    if change == "body":
        body = body.replace(b"m-1", b"m-2")
    elif change == "signature":
        headers["event-sign"] = "0" * 32
    elif change == "app-id":
        headers["app-id"] = "another-app"
    elif change == "no-signature":
        del headers["event-sign"]
    else:
        headers["sign-method"] = "hmac-sha256"
    response = await client.post(PUSH, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"code": 40101, "data": None, "msg": "Invalid webhook signature"}
    assert await _count(app, DouyinPushMessage) == 0


@pytest.mark.parametrize("body", [b"not json", b'{"tag": "101"}', b'[{"tag": "101"}]'])
async def test_a_signed_body_that_is_not_messages_is_a_bad_request(
    app: FastAPI, client: httpx.AsyncClient, fake: FakeDouyin, body: bytes
) -> None:
    _, headers = fake.push([])
    headers["event-sign"] = hashlib.md5(
        fake.app_key.encode() + body + fake.app_secret.encode(), usedforsecurity=False
    ).hexdigest()
    response = await client.post(PUSH, content=body, headers=headers)
    assert response.status_code == 400 and response.json()["code"] == 40001
    assert await _count(app, DouyinPushMessage) == 0
