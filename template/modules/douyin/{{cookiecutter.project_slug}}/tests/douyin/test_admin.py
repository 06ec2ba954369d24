"""The admin operations over HTTP: connect a shop, list shops with token health, run and read
the sync; and what a service without Douyin settings answers."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.douyin.config import DouyinSettings
from app.main import create_app
from tests.douyin.conftest import SHOP_ID, add_product
from tests.douyin.fake_gateway import FakeDouyin

SHOPS = "/api/v1/douyin/shops"


async def _connect(
    client: httpx.AsyncClient, headers: dict[str, str], **body: str
) -> httpx.Response:
    return await client.post(SHOPS, json=body, headers=headers)


async def test_connect_and_list_shops(
    client: httpx.AsyncClient, admin_headers: dict[str, str], fake: FakeDouyin
) -> None:
    created = await _connect(
        client, admin_headers, grant_type="authorization_self", shop_id=SHOP_ID
    )
    assert created.status_code == 201, created.text
    shop = created.json()["data"]
    assert shop["shop_id"] == SHOP_ID and shop["token_status"] == "healthy"
    assert shop["shop_name"] == "茶言旗舰店" and shop["refresh_failures"] == 0
    assert "access_token" not in shop and "refresh_token" not in shop
    fake.add_shop("30001", "Second shop")
    code = fake.issue_code("30001")
    second = await _connect(client, admin_headers, grant_type="authorization_code", code=code)
    assert second.status_code == 201 and second.json()["data"]["grant_type"] == "authorization_code"
    again = await _connect(client, admin_headers, grant_type="authorization_self", shop_id=SHOP_ID)
    assert again.status_code == 201
    listed = await client.get(SHOPS, headers=admin_headers, params={"limit": 1})
    assert listed.status_code == 200
    page = listed.json()["data"]
    assert page["total"] == 2 and len(page["items"]) == 1 and page["limit"] == 1


async def test_a_refused_authorization_is_an_upstream_error(
    client: httpx.AsyncClient, admin_headers: dict[str, str], fake: FakeDouyin
) -> None:
    response = await _connect(client, admin_headers, grant_type="authorization_code", code="spent")
    assert response.status_code == 502 and response.json()["code"] == 50201
    missing = await _connect(client, admin_headers, grant_type="authorization_self")
    assert missing.status_code == 422
    assert missing.json()["data"]["errors"][0]["field"] == "shop_id"


async def test_only_admins_manage_shops(
    client: httpx.AsyncClient, customer_headers: dict[str, str]
) -> None:
    assert (await client.get(SHOPS)).status_code == 401
    response = await client.get(SHOPS, headers=customer_headers)
    assert response.status_code == 403 and response.json()["code"] == 40301


async def test_start_a_sync_and_read_its_status(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str], fake: FakeDouyin
) -> None:
    async with app.state.sessionmaker() as session:
        await add_product(session, "TEA", 5)
        await session.commit()
    await _connect(client, admin_headers, grant_type="authorization_self", shop_id=SHOP_ID)
    now = int(fake.clock().timestamp())
    fake.put_order(SHOP_ID, "6901", status=2, lines=[("TEA", 1, 100)], update_time=now - 60)
    path = f"{SHOPS}/{SHOP_ID}/sync"
    never = (await client.get(path, headers=admin_headers)).json()["data"]
    assert never["running"] is False
    assert [r["status"] for r in never["resources"]] == ["never", "never"]
    started = await client.post(path, headers=admin_headers)
    assert started.status_code == 202 and started.json()["data"]["running"] is True
    await asyncio.gather(*app.state.douyin.background)
    status = (await client.get(path, headers=admin_headers)).json()["data"]
    orders = status["resources"][0]
    assert orders["resource"] == "orders" and orders["status"] == "ok"
    assert orders["items_seen"] == 1 and orders["items_changed"] == 1
    listed = await client.get("/api/v1/orders", headers=admin_headers, params={"source": "douyin"})
    assert listed.json()["data"]["items"][0]["external_id"] == "6901"


async def test_sync_of_an_unknown_or_unauthorized_shop(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str], fake: FakeDouyin
) -> None:
    missing = await client.get(f"{SHOPS}/404/sync", headers=admin_headers)
    assert missing.status_code == 404 and missing.json()["code"] == 40401
    await _connect(client, admin_headers, grant_type="authorization_self", shop_id=SHOP_ID)
    fake.expire_access_tokens()
    fake.expire_refresh_tokens()
    path = f"{SHOPS}/{SHOP_ID}/sync"
    assert (await client.post(path, headers=admin_headers)).status_code == 202
    await asyncio.gather(*app.state.douyin.background)
    (shop,) = (await client.get(SHOPS, headers=admin_headers)).json()["data"]["items"]
    assert shop["token_status"] == "reauthorize" and shop["last_error"]
    status = (await client.get(path, headers=admin_headers)).json()["data"]
    assert status["resources"][0]["status"] == "failed"
    refused = await client.post(path, headers=admin_headers)
    assert refused.status_code == 409 and refused.json()["code"] == 40902


@pytest.fixture
async def unconfigured(settings: Settings, engine: object) -> AsyncIterator[httpx.AsyncClient]:
    made = create_app(settings)
    made.state.douyin_settings = DouyinSettings(_env_file=None)  # type: ignore[call-arg]
    async with made.router.lifespan_context(made):
        transport = httpx.ASGITransport(app=made)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_without_settings_the_operations_answer_501(unconfigured: httpx.AsyncClient) -> None:
    response = await unconfigured.post("/api/v1/webhooks/douyin", content=b"[]")
    assert response.status_code == 501 and response.json()["code"] == 50101
