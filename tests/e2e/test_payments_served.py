"""Payments and Shopify webhooks of a served project, over HTTP as WeChat Pay and Shopify send
them: signatures over the raw bytes, repeats that change nothing, forgeries that change nothing.

WeChat Pay is the baked project's own fake (`tests/fakes/wechatpay.py`), run on 127.0.0.1 with
keys made here, so the service's signing meets an independent implementation of the protocol.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .conftest import serve
from .fake_wechat import APP_ID, APP_SECRET, serve_fake_wechat
from .shop_setup import ADMIN, load_fake_wechat_pay, shop_env

NOTIFY = "/api/v1/payments/wechat/notifications"
HOOK = "/api/v1/webhooks/shopify"
SHOPIFY_SECRET = "shpss_e2e_client_secret"
SHOP = "emma-tea-house.myshopify.com"
BIG_ID = 2**53 + 12345  # a JavaScript double would make it 2**53 + 12344


@pytest.fixture
def wechat_pay(shopify_project: Path) -> Iterator[Any]:
    fakes = load_fake_wechat_pay(shopify_project)
    fake = fakes.FakeWechatPay(
        merchant_key=fakes.new_key(), platform_key=fakes.new_key(), app_id=APP_ID
    )
    with fakes.serve(fake):
        yield fake


def _bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['data']['access_token']}"}


def _data(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == 0, body
    return body["data"]


def _count(database: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(database) as connection:
        (found,) = connection.execute(sql, args).fetchone()
    return int(found)


def _product(http: httpx.Client, admin: dict[str, str], sku: str, currency: str) -> Any:
    product = {
        "sku": sku,
        "title": "西湖龙井 250g",
        "price_cents": 16800,
        "currency": currency,
        "stock": 10,
        "status": "active",
    }
    return _data(http.post("/api/v1/products", json=product, headers=admin), 201)


def test_wechat_pay_settles_once_and_refuses_forgeries(
    shopify_project: Path, tmp_path: Path, wechat_pay: Any
) -> None:
    database = tmp_path / "shop.db"
    settings = {key.upper(): str(value) for key, value in wechat_pay.settings().items()}
    with serve_fake_wechat() as login:
        env = shop_env(
            shopify_project,
            database,
            WECHAT_APP_ID=APP_ID,
            WECHAT_APP_SECRET=APP_SECRET,
            WECHAT_API_BASE=login.base_url,
            **settings,
        )
        with serve(shopify_project, env) as http:
            admin = _bearer(http.post("/api/v1/auth/tokens", json=ADMIN))
            product = _product(http, admin, "TEA-LJ-250", "CNY")
            buyer = _bearer(
                http.post("/api/v1/auth/wechat-sessions", json={"js_code": "buyer-code"})
            )

            def place_order(key: str) -> Any:
                order = {"items": [{"product_id": product["id"], "quantity": 2}]}
                headers = {**buyer, "Idempotency-Key": key}
                return _data(http.post("/api/v1/orders", json=order, headers=headers), 201)

            def open_payment(order_id: int) -> Any:
                body = {"order_id": order_id, "channel": "wechat"}
                return _data(http.post("/api/v1/payments", json=body, headers=buyer), 201)

            def state(order_id: int, payment_id: int) -> tuple[Any, Any, int]:
                order = _data(http.get(f"/api/v1/orders/{order_id}", headers=buyer))
                payment = _data(http.get(f"/api/v1/payments/{payment_id}", headers=buyer))
                payment.pop("wechat_params")  # signed afresh on every read
                stock = _data(http.get(f"/api/v1/products/{product['id']}"))["stock"]
                return order, payment, stock

            order = place_order("e2e-pay-0001")
            payment = open_payment(order["id"])
            assert wechat_pay.rejected == [], "WeChat Pay refused the merchant's signature"
            placed = wechat_pay.orders[payment["out_trade_no"]]
            assert placed["amount"] == {"total": 2 * 16800, "currency": "CNY"}
            assert placed["payer"] == {"openid": "o-buyer-code"}
            params = payment["wechat_params"]
            assert params["package"] == f"prepay_id={placed['prepay_id']}"
            signed = f"{APP_ID}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
            wechat_pay.merchant_key.public_key().verify(
                base64.b64decode(params["paySign"]),
                signed.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )

            transaction = wechat_pay.transaction(payment["out_trade_no"], order["total_cents"])
            headers, body = wechat_pay.notification(transaction)
            first = http.post(NOTIFY, content=body, headers=headers)
            assert (first.status_code, first.content) == (204, b"")
            paid = state(order["id"], payment["id"])
            assert paid[0]["status"] == "paid"
            assert paid[1]["status"] == "succeeded"
            assert paid[1]["transaction_id"] == transaction["transaction_id"]
            assert paid[2] == 8

            repeats = [http.post(NOTIFY, content=body, headers=headers) for _ in range(5)]
            assert [r.status_code for r in repeats] == [204] * 5
            assert state(order["id"], payment["id"]) == paid
            assert _count(database, "SELECT count(*) FROM payments WHERE status = 'succeeded'") == 1
            assert _count(database, "SELECT count(DISTINCT transaction_id) FROM payments") == 1

            # Forgeries against a second order that is still waiting for its payment.
            waiting = place_order("e2e-pay-0002")
            second = open_payment(waiting["id"])
            before = state(waiting["id"], second["id"])
            genuine = wechat_pay.transaction(second["out_trade_no"], waiting["total_cents"])
            headers, body = wechat_pay.notification(genuine)
            impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            forgeries = {
                "bad signature": wechat_pay.notification(genuine, key=impostor),
                "tampered body": (headers, body.replace(b'"summary"', b'"Summary"', 1)),
                "stale timestamp": wechat_pay.notification(
                    genuine, timestamp=int(time.time()) - 600
                ),
            }
            for kind, (forged_headers, forged_body) in forgeries.items():
                answer = http.post(NOTIFY, content=forged_body, headers=forged_headers)
                assert answer.status_code == 401, (kind, answer.text)
                assert answer.json()["code"] == "FAIL", kind
            assert state(waiting["id"], second["id"]) == before
            assert before[0]["status"] == "pending_payment"
            assert _count(database, "SELECT count(*) FROM payments WHERE status = 'succeeded'") == 1


def _shopify_delivery(
    topic: str, payload: dict[str, Any], *, shop: str = SHOP, secret: str = SHOPIFY_SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return body, {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-API-Version": "2025-01",
        "X-Shopify-Triggered-At": "2025-03-14T14:41:03.877041743Z",
    }


def _shopify_order() -> dict[str, Any]:
    return {
        "id": BIG_ID,
        "name": "#1042",
        "order_number": 1042,
        "email": "emma.schmidt@example.com",
        "currency": "USD",
        "financial_status": "paid",
        "total_price": "39.98",
        "subtotal_price": "39.98",
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "test": False,
        "created_at": "2025-03-14T10:41:03-04:00",
        "updated_at": "2025-03-14T10:41:27-04:00",
        "line_items": [
            {
                "id": 14891276583091,
                "product_id": 8872350015923,
                "variant_id": 46728195330227,
                "sku": "HAT-MERINO-GRY",
                "title": "Merino Wool Beanie",
                "quantity": 2,
                "price": "19.99",
            }
        ],
    }


def test_shopify_deliveries_are_verified_mirrored_and_deduplicated(
    shopify_project: Path, tmp_path: Path
) -> None:
    database = tmp_path / "shop.db"
    env = shop_env(
        shopify_project,
        database,
        SHOPIFY_API_SECRET=SHOPIFY_SECRET,
        SHOPIFY_SHOP_DOMAINS=f"{SHOP},second-shop.myshopify.com",
    )
    with serve(shopify_project, env) as http:
        admin = _bearer(http.post("/api/v1/auth/tokens", json=ADMIN))
        product = _product(http, admin, "HAT-MERINO-GRY", "USD")

        def mirrored() -> list[Any]:
            listed = http.get("/api/v1/orders", params={"source": "shopify"}, headers=admin)
            items: list[Any] = _data(listed)["items"]
            return items

        body, headers = _shopify_delivery("orders/create", _shopify_order())
        answer = http.post(HOOK, content=body, headers=headers)
        assert _data(answer) == {"received": True, "duplicate": False}
        deadline = time.monotonic() + 10
        while not (items := mirrored()):
            assert time.monotonic() < deadline, "the delivery was never processed"
        (order,) = items
        assert order["source"] == "shopify"
        assert order["external_id"] == str(BIG_ID)
        assert order["status"] == "paid"
        assert order["total_cents"] == 3998
        assert order["items"][0]["product_id"] == product["id"]

        forged = {**headers, "X-Shopify-Hmac-Sha256": base64.b64encode(b"x" * 32).decode()}
        refused = http.post(HOOK, content=body, headers=forged)
        assert refused.status_code == 401
        assert refused.json() == {"code": 40101, "data": None, "msg": refused.json()["msg"]}

        foreign_body, foreign = _shopify_delivery(
            "orders/create", _shopify_order(), shop="someone-else.myshopify.com"
        )
        assert http.post(HOOK, content=foreign_body, headers=foreign).status_code == 401

        retry = {**headers, "X-Shopify-Webhook-Id": str(uuid.uuid4())}  # same event id
        duplicate = http.post(HOOK, content=body, headers=retry)
        assert _data(duplicate) == {"received": True, "duplicate": True}
        assert mirrored() == [order]
        assert _count(database, "SELECT count(*) FROM shopify_deliveries") == 1
        assert _count(database, "SELECT count(*) FROM orders WHERE source = 'shopify'") == 1
