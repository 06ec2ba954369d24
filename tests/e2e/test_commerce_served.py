"""The other half of commerce, served as it is deployed: PostgreSQL, Redis, two uvicorn
workers, WeChat and WeChat Pay as local fakes that speak their formats and record what
they were sent.

One shop's life: an admin lists a T-shirt in two colours and two sizes; a customer signs in
through WeChat, adds an address and orders two of its variants; the order is paid through
WeChat Pay (and another through the mock channel); the admin ships one line, then the other,
and each parcel reaches WeChat's shipping information; the customer confirms receipt; the
admin refunds one line with restock, WeChat Pay reports the refund, its units are back in
the database and in Redis, the order reads `partially_refunded`, and the CSV export lists
it. Then the races: 200 buyers for 20 units of a variant, two full refunds at once, and a
refund notification replayed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from .conftest import POSTGRES_ENV, project_env, run, serve
from .fake_wechat import APP_ID, APP_SECRET, serve_fake_wechat
from .redis_process import RedisProcess
from .shop_setup import ADMIN, CROWD, SECRET, load_fake_wechat_pay, redis_stock_key

pytestmark = pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV), reason=f"set {POSTGRES_ENV} to a PostgreSQL database URL"
)

NOTIFY = "/api/v1/payments/wechat/notifications"
REFUND_NOTIFY = "/api/v1/payments/wechat/refund-notifications"
DEADLINE = 20.0
CROWD_PASSWORD = "Crowd-Buys-Tea-2025!"
BUYERS = 200
FLASH_STOCK = 20
COLOURS = {"白": "WHT", "黑": "BLK"}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def database() -> Iterator[str]:
    """A database of its own beside the one the tests were given, dropped afterwards."""
    given = make_url(os.environ[POSTGRES_ENV])
    name = f"{given.database}_commerce"

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(_dsn(str(given)))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    yield given.set(database=name).render_as_string(hide_password=False)
    asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    process = RedisProcess(tmp_path)
    process.start()
    yield process
    process.stop()


def _data(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == 0, body
    return body["data"]


def _bearer(response: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {_data(response, 201)['access_token']}"}


def _wait_for(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


async def _query(url: str, sql: str, *args: Any) -> Any:
    connection = await asyncpg.connect(_dsn(url))
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


def _tee() -> dict[str, Any]:
    return {
        "sku": "TEE-CLASSIC",
        "title": "经典圆领纯棉T恤",
        "currency": "CNY",
        "status": "active",
        "options": [
            {"name": "颜色", "values": ["白", "黑"]},
            {"name": "尺码", "values": ["M", "L"]},
        ],
        "variants": [
            {
                "sku": f"TEE-{COLOURS[colour]}-{size}",
                "options": {"颜色": colour, "尺码": size},
                "price_cents": 9900 if colour == "白" else 10900,
                "stock": 10,
            }
            for colour in COLOURS
            for size in ("M", "L")
        ],
    }


async def _rush(base_url: str, headers: dict[str, str], variant_id: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=BUYERS, max_keepalive_connections=BUYERS)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:

        async def buy(n: int) -> httpx.Response:
            return await client.post(
                "/api/v1/orders",
                json={"items": [{"variant_id": variant_id, "quantity": 1}]},
                headers={**headers, "Idempotency-Key": f"rush-{n:04d}"},
            )

        return await asyncio.gather(*(buy(n) for n in range(BUYERS)))


async def _refund_twice(
    base_url: str, headers: dict[str, str], order_id: int, amount: int
) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        return await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/orders/{order_id}/refunds",
                    json={"reason": "重复下单", "amount_cents": amount},
                    headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                )
                for _ in range(2)
            )
        )


def test_a_shop_sells_ships_and_refunds_variants(
    canonical_project: Path, database: str, redis_process: RedisProcess
) -> None:
    fakes = load_fake_wechat_pay(canonical_project)
    pay = fakes.FakeWechatPay(
        merchant_key=fakes.new_key(), platform_key=fakes.new_key(), app_id=APP_ID
    )
    with fakes.serve(pay), serve_fake_wechat() as wechat:
        env = project_env(
            ENVIRONMENT="production",
            DATABASE_URL=database,
            REDIS_URL=redis_process.url,
            JWT_SECRET=SECRET,
            FIRST_SUPERUSER_EMAIL=ADMIN["email"],
            FIRST_SUPERUSER_PASSWORD=ADMIN["password"],
            ARGON2_TIME_COST="1",
            ARGON2_MEMORY_KIB="8192",
            ARGON2_PARALLELISM="1",
            LOG_LEVEL="WARNING",
            PRODUCT_CACHE_TTL="0",
            ORDER_EXPIRY_INTERVAL="0",
            WECHAT_APP_ID=APP_ID,
            WECHAT_APP_SECRET=APP_SECRET,
            WECHAT_API_BASE=wechat.base_url,
            PAYMENT_MOCK_ENABLED="true",
            PAYMENT_MOCK_SECRET="e2e-mock-secret-" + "m" * 20,
            **CROWD,
            **{key.upper(): str(value) for key, value in pay.settings().items()},
        )
        upgrade = run([sys.executable, "-m", "alembic", "upgrade", "head"], canonical_project, env)
        assert upgrade.returncode == 0, upgrade.stderr
        with serve(canonical_project, env) as http:  # one worker creates the admin first
            http.get("/api/v1/health")
        with serve(canonical_project, env, workers=2) as http:
            _shop_life(http, env, pay, wechat, redis_process)
            _races(http, redis_process, database)


def _shop_life(
    http: httpx.Client, env: dict[str, str], pay: Any, wechat: Any, redis: RedisProcess
) -> None:
    admin = _bearer(http.post("/api/v1/auth/tokens", json=ADMIN))
    tee = _data(http.post("/api/v1/products", json=_tee(), headers=admin), 201)
    assert len(tee["variants"]) == 4 and tee["price_cents"] == 9900 and tee["stock"] == 40
    variants = {v["sku"]: v for v in tee["variants"]}
    white_m, black_l = variants["TEE-WHT-M"], variants["TEE-BLK-L"]

    buyer = _bearer(http.post("/api/v1/auth/wechat-sessions", json={"js_code": "li-wei"}))
    address = _data(
        http.post(
            "/api/v1/users/me/addresses",
            json={
                "recipient": "李伟",
                "phone": "13800138000",
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "detail": "文三路 478 号 1201",
                "postal_code": "310012",
            },
            headers=buyer,
        ),
        201,
    )
    placed = http.post(
        "/api/v1/orders",
        json={
            "items": [
                {"variant_id": white_m["id"], "quantity": 2},
                {"variant_id": black_l["id"], "quantity": 1},
            ],
            "address_id": address["id"],
        },
        headers={**buyer, "Idempotency-Key": str(uuid.uuid4())},
    )
    order = _data(placed, 201)
    assert order["total_cents"] == 2 * 9900 + 10900
    assert order["shipping_address"]["city"] == "杭州市"
    line_white, line_black = order["items"]

    # Paid through WeChat Pay: the prepay order, then its notification.
    payment = _data(
        http.post(
            "/api/v1/payments", json={"order_id": order["id"], "channel": "wechat"}, headers=buyer
        ),
        201,
    )
    assert pay.rejected == []
    headers, body = pay.notification(pay.transaction(payment["out_trade_no"], order["total_cents"]))
    assert http.post(NOTIFY, content=body, headers=headers).status_code == 204

    # A second order, paid through the mock channel.
    other = _data(
        http.post(
            "/api/v1/orders",
            json={"items": [{"variant_id": variants["TEE-BLK-M"]["id"], "quantity": 1}]},
            headers={**buyer, "Idempotency-Key": str(uuid.uuid4())},
        ),
        201,
    )
    _data(
        http.post(
            "/api/v1/payments", json={"order_id": other["id"], "channel": "mock"}, headers=buyer
        ),
        201,
    )
    _wait_for(
        "the mock payment",
        lambda: _data(http.get(f"/api/v1/orders/{other['id']}", headers=buyer))["status"] == "paid",
    )
    assert _data(http.get(f"/api/v1/orders/{order['id']}", headers=buyer))["status"] == "paid"

    # Shipped in two parcels, each reported to WeChat.
    first = _data(
        http.post(
            f"/api/v1/orders/{order['id']}/shipments",
            json={
                "carrier_code": "SF",
                "tracking_number": "SF1000000001",
                "items": [{"order_item_id": line_white["id"], "quantity": 2}],
            },
            headers=admin,
        ),
        201,
    )
    assert first["wechat_sync_status"] == "pending"
    _wait_for("the first upload", lambda: len(wechat.uploads) == 1)
    upload = wechat.uploads[0]
    assert upload["order_key"]["order_number_type"] == 2
    assert (upload["delivery_mode"], upload["is_all_delivered"]) == (2, False)
    assert upload["shipping_list"][0]["tracking_no"] == "SF1000000001"
    assert upload["shipping_list"][0]["contact"] == {"receiver_contact": "138****8000"}
    assert upload["payer"] == {"openid": "o-li-wei"}
    half = _data(http.get(f"/api/v1/orders/{order['id']}", headers=buyer))
    assert (half["status"], half["shipping_status"]) == ("partially_shipped", "partially_shipped")

    _data(
        http.post(
            f"/api/v1/orders/{order['id']}/shipments",
            json={"carrier_code": "YTO", "tracking_number": "YT2000000002"},
            headers=admin,
        ),
        201,
    )
    _wait_for("the second upload", lambda: len(wechat.uploads) == 2)
    last = wechat.uploads[1]
    assert (last["delivery_mode"], last["is_all_delivered"]) == (2, True)
    assert [p["tracking_no"] for p in last["shipping_list"]] == ["SF1000000001", "YT2000000002"]
    assert wechat.token_requests <= 2, "the access_token is cached (once per worker at most)"
    _wait_for(
        "both parcels synced",
        lambda: (
            [
                s["wechat_sync_status"]
                for s in _data(http.get(f"/api/v1/orders/{order['id']}/shipments", headers=buyer))[
                    "items"
                ]
            ]
            == ["synced", "synced"]
        ),
    )
    assert _data(http.get(f"/api/v1/orders/{order['id']}", headers=buyer))["status"] == "shipped"

    received = _data(http.post(f"/api/v1/orders/{order['id']}/receipt", headers=buyer))
    assert received["status"] == "completed"

    # One line refunded with restock: WeChat Pay reports it, its unit comes back once.
    stock_before = _data(http.get(f"/api/v1/products/{tee['id']}"))["variants"]
    black_before = next(v for v in stock_before if v["id"] == black_l["id"])["stock"]
    refund = _data(
        http.post(
            f"/api/v1/orders/{order['id']}/refunds",
            json={
                "items": [{"order_item_id": line_black["id"], "quantity": 1}],
                "reason": "尺码不合适，已退回",
                "restock": True,
            },
            headers={**admin, "Idempotency-Key": str(uuid.uuid4())},
        ),
        201,
    )
    assert refund["status"] == "pending"
    asked = pay.refunds[refund["out_refund_no"]]
    assert asked["amount"] == {"refund": 10900, "total": order["total_cents"], "currency": "CNY"}
    headers, body = pay.refund_notification(pay.refund_resource(refund["out_refund_no"]))
    assert http.post(REFUND_NOTIFY, content=body, headers=headers).status_code == 204
    settled = _data(http.get(f"/api/v1/orders/{order['id']}", headers=admin))
    assert (settled["status"], settled["refunded_cents"]) == ("partially_refunded", 10900)
    assert settled["refunds"][0]["status"] == "succeeded"

    def black_stock() -> tuple[int, int]:
        database = asyncio.run(
            _query(
                env["DATABASE_URL"],
                "SELECT stock FROM product_variants WHERE id = $1",
                black_l["id"],
            )
        )
        with redis.client() as client:
            counted = client.get(redis_stock_key(black_l["id"]))
        return int(database), int(counted) if counted is not None else -1

    assert black_stock() == (black_before + 1, black_before + 1)

    # WeChat Pay repeats its notifications: a replay changes nothing.
    for _ in range(3):
        assert http.post(REFUND_NOTIFY, content=body, headers=headers).status_code == 204
    assert _data(http.get(f"/api/v1/orders/{order['id']}", headers=admin)) == settled
    assert black_stock() == (black_before + 1, black_before + 1)

    # The CSV export lists the order, one row per line.
    window = {
        "created_from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "created_to": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    exported = http.get("/api/v1/orders/export", params=window, headers=admin)
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    mine = [row for row in rows if row["order_id"] == str(order["id"])]
    assert [(r["sku"], r["status"], r["refunded_quantity"]) for r in mine] == [
        ("TEE-WHT-M", "partially_refunded", "0"),
        ("TEE-BLK-L", "partially_refunded", "1"),
    ]
    assert mine[0]["recipient"] == "李伟" and mine[0]["shipping_status"] == "shipped"


def _races(http: httpx.Client, redis: RedisProcess, database: str) -> None:
    admin = _bearer(http.post("/api/v1/auth/tokens", json=ADMIN))
    http.post("/api/v1/users", json={"email": "crowd@example.com", "password": CROWD_PASSWORD})
    crowd = _bearer(
        http.post(
            "/api/v1/auth/tokens", json={"email": "crowd@example.com", "password": CROWD_PASSWORD}
        )
    )
    flash = {
        **_tee(),
        "sku": "TEE-FLASH",
        "variants": [
            {
                "sku": "FLASH-WHT-M",
                "options": {"颜色": "白", "尺码": "M"},
                "price_cents": 100,
                "stock": FLASH_STOCK,
            },
            {
                "sku": "FLASH-BLK-M",
                "options": {"颜色": "黑", "尺码": "M"},
                "price_cents": 100,
                "stock": 5,
            },
        ],
    }
    product = _data(http.post("/api/v1/products", json=flash, headers=admin), 201)
    target, bystander = product["variants"]
    base_url = str(http.base_url)

    responses = asyncio.run(_rush(base_url, crowd, target["id"]))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * FLASH_STOCK + [409] * (BUYERS - FLASH_STOCK), [
        r.text for r in responses if r.status_code not in (201, 409)
    ][:3]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {40901}
    sql = "SELECT stock FROM product_variants WHERE id = $1"
    assert asyncio.run(_query(database, sql, target["id"])) == 0
    assert asyncio.run(_query(database, sql, bystander["id"])) == 5
    with redis.client() as client:
        assert client.get(redis_stock_key(target["id"])) in (None, b"0")
    sold = asyncio.run(
        _query(database, "SELECT count(*) FROM order_items WHERE variant_id = $1", target["id"])
    )
    assert sold == FLASH_STOCK

    # Two full refunds of one paid order at once: one is made, the other refused.
    order = next(r.json()["data"] for r in responses if r.status_code == 201)
    _data(
        http.post(
            "/api/v1/payments", json={"order_id": order["id"], "channel": "mock"}, headers=crowd
        ),
        201,
    )
    _wait_for(
        "the mock payment",
        lambda: _data(http.get(f"/api/v1/orders/{order['id']}", headers=crowd))["status"] == "paid",
    )
    answers = asyncio.run(_refund_twice(base_url, admin, order["id"], order["total_cents"]))
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    # Refused either as more than is left (the first still pending) or, when the first had
    # already refunded everything, because a refunded order has nothing left to refund.
    assert next(a for a in answers if a.status_code == 409).json()["code"] in (40902, 40906)
    refunded = _data(http.get(f"/api/v1/orders/{order['id']}", headers=admin))
    assert (refunded["status"], refunded["refunded_cents"], len(refunded["refunds"])) == (
        "refunded",
        order["total_cents"],
        1,
    )
