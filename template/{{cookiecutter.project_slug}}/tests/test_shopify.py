"""Shopify webhooks: the signature over the raw body, de-duplication, and each topic's mapping
into local orders and stock. Processing is driven by calling the sweeper, never by sleeping."""

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.main import create_app
from app.orders.models import Order
from app.orders.state import OrderStatus
from app.webhooks import service, shopify
from app.webhooks.models import ShopifyDelivery
from tests.markers import requires
from tests.redis_server import fresh_redis_url
from tests.variants import variant_of, variant_stock

pytestmark = requires("receiveShopifyWebhook")

HOOK = "/api/v1/webhooks/shopify"
SECRET = "shpss_test_client_secret"
BIG_ID = 2**53 + 12345  # a JavaScript double would round it


@pytest.fixture(params=["database", "redis"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Each test twice: without Redis, and with Redis stock and locks."""
    values: dict[str, Any] = {"shopify_api_secret": SecretStr(SECRET)}
    if request.param == "redis":
        values["redis_url"] = fresh_redis_url(request)
    return settings.model_copy(update=values)


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def delivery(topic: str, payload: dict[str, Any], **headers: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    sent = {
        "X-Shopify-Hmac-Sha256": sign(body),
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": "emma-tea-house.myshopify.com",
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-API-Version": "2025-01",
        "X-Shopify-Triggered-At": "2025-03-14T14:41:03.877041743Z",
        "Content-Type": "application/json",
        **headers,
    }
    return body, sent


def shopify_order(**fields: Any) -> dict[str, Any]:
    return {
        "id": BIG_ID,
        "name": "#1042",
        "order_number": 1042,
        "email": "emma.schmidt@example.com",
        "currency": "USD",
        "financial_status": "pending",
        "total_price": "39.98",
        "current_total_price": "39.98",
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
        **fields,
    }


async def mirrored(app: FastAPI, external_id: int = BIG_ID) -> Order | None:
    async with app.state.sessionmaker() as session:
        found: Order | None = await session.scalar(
            select(Order).where(Order.source == "shopify", Order.external_id == str(external_id))
        )
        return found


async def send(client: httpx.AsyncClient, topic: str, payload: dict[str, Any]) -> httpx.Response:
    body, headers = delivery(topic, payload)
    return await client.post(HOOK, content=body, headers=headers)


# -- the wire ------------------------------------------------------------------------------


def test_signature_is_base64_not_hex() -> None:
    body = b'{"id":1}'
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256)
    assert shopify.verify(SECRET, body, base64.b64encode(digest.digest()).decode())
    assert not shopify.verify(SECRET, body, digest.hexdigest())
    assert not shopify.verify(SECRET, body + b" ", sign(body))
    assert not shopify.verify(SECRET, body, None)


@pytest.mark.parametrize(
    ("amount", "currency", "cents"),
    [("19.99", "USD", 1999), ("0.10", "USD", 10), ("1500", "JPY", 1500), ("1.234", "KWD", 1234)],
)
def test_money_strings_become_exact_minor_units(amount: str, currency: str, cents: int) -> None:
    assert shopify.minor_units(amount, currency) == cents
    assert shopify.minor_units(Decimal(amount), currency) == cents


def test_money_with_too_many_digits_is_refused() -> None:
    with pytest.raises(ValueError):
        shopify.minor_units("19.999", "USD")


def test_ids_beyond_2_53_stay_exact() -> None:
    payload = shopify.parse(json.dumps({"id": BIG_ID}).encode())
    assert shopify.external_id(payload["id"]) == str(BIG_ID)
    assert float(BIG_ID) != BIG_ID


@pytest.mark.parametrize(
    ("financial", "status"),
    [
        ("pending", OrderStatus.PENDING_PAYMENT),
        ("authorized", OrderStatus.PENDING_PAYMENT),
        ("partially_paid", OrderStatus.PENDING_PAYMENT),
        ("paid", OrderStatus.PAID),
        ("partially_refunded", OrderStatus.PARTIALLY_REFUNDED),
        ("refunded", OrderStatus.REFUNDED),
        ("voided", OrderStatus.CANCELLED),
        ("expired", OrderStatus.CANCELLED),
    ],
)
def test_financial_status_mapping(financial: str, status: OrderStatus) -> None:
    assert shopify.order_status("orders/updated", {"financial_status": financial}) == status


async def test_a_valid_delivery_is_stored_answered_and_processed(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_product: Callable[..., Any],
    admin_headers: dict[str, str],
) -> None:
    product = await make_product(sku="HAT-MERINO-GRY", currency="USD", price_cents=1999)
    answer = await send(client, "orders/create", shopify_order())
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"code": 0, "data": {"received": True, "duplicate": False}, "msg": "ok"}
    order = await mirrored(app)
    assert order is not None
    assert order.external_id == str(BIG_ID)
    assert order.total_cents == 3998
    assert order.currency == "USD"
    assert order.status == OrderStatus.PENDING_PAYMENT
    listed = await client.get("/api/v1/orders", params={"source": "shopify"}, headers=admin_headers)
    (item,) = listed.json()["data"]["items"]
    assert item["external_id"] == str(BIG_ID)
    assert item["items"][0]["product_id"] == product["id"]
    assert item["items"][0]["unit_price_cents"] == 1999


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Shopify-Hmac-Sha256": sign(b"another body")},
        {"X-Shopify-Hmac-Sha256": "not base64!"},
        {"X-Shopify-Hmac-Sha256": ""},
    ],
    ids=["wrong", "garbage", "missing"],
)
async def test_a_bad_signature_is_401_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body, sent = delivery("orders/create", shopify_order())
    sent.update(headers)
    if not headers["X-Shopify-Hmac-Sha256"]:
        del sent["X-Shopify-Hmac-Sha256"]
    answer = await client.post(HOOK, content=body, headers=sent)
    assert answer.status_code == 401
    assert answer.json()["code"] == 40101
    async with app.state.sessionmaker() as session:
        assert (await session.scalars(select(ShopifyDelivery))).all() == []
    assert await mirrored(app) is None


async def test_missing_headers_after_a_good_signature_are_400(client: httpx.AsyncClient) -> None:
    body, sent = delivery("orders/create", shopify_order())
    del sent["X-Shopify-Topic"]
    answer = await client.post(HOOK, content=body, headers=sent)
    assert answer.status_code == 400


async def test_a_duplicate_delivery_does_nothing(
    app: FastAPI, client: httpx.AsyncClient, make_product: Callable[..., Any]
) -> None:
    await make_product(sku="HAT-MERINO-GRY", currency="USD", price_cents=1999)
    body, headers = delivery("orders/create", shopify_order())
    first = await client.post(HOOK, content=body, headers=headers)
    retry = {**headers, "X-Shopify-Webhook-Id": str(uuid.uuid4())}  # same event id
    again = await client.post(HOOK, content=body, headers=retry)
    assert first.json()["data"]["duplicate"] is False
    assert again.status_code == 200
    assert again.json()["data"] == {"received": True, "duplicate": True}
    async with app.state.sessionmaker() as session:
        assert len((await session.scalars(select(ShopifyDelivery))).all()) == 1


@pytest.mark.parametrize(
    ("topic", "fields", "status"),
    [
        ("orders/updated", {"financial_status": "paid"}, OrderStatus.PAID),
        ("orders/paid", {"financial_status": "paid"}, OrderStatus.PAID),
        (
            "orders/cancelled",
            {"cancelled_at": "2025-03-14T11:00:00-04:00", "cancel_reason": "customer"},
            OrderStatus.CANCELLED,
        ),
    ],
)
async def test_order_topics_move_the_mirrored_order(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_product: Callable[..., Any],
    topic: str,
    fields: dict[str, Any],
    status: OrderStatus,
) -> None:
    await make_product(sku="HAT-MERINO-GRY", currency="USD", price_cents=1999)
    await send(client, "orders/create", shopify_order())
    later = {"updated_at": "2025-03-14T11:30:00-04:00", **fields}
    assert (await send(client, topic, shopify_order(**later))).status_code == 200
    order = await mirrored(app)
    assert order is not None and order.status == status
    # An older delivery arriving late changes nothing.
    await send(client, "orders/updated", shopify_order(financial_status="pending"))
    order = await mirrored(app)
    assert order is not None and order.status == status


async def test_a_full_refund_marks_the_order_refunded(
    app: FastAPI, client: httpx.AsyncClient, make_product: Callable[..., Any]
) -> None:
    await make_product(sku="HAT-MERINO-GRY", currency="USD", price_cents=1999)
    await send(client, "orders/paid", shopify_order(financial_status="paid"))
    refund = {
        "id": 509562969,
        "order_id": BIG_ID,
        "refund_line_items": [
            {"line_item_id": 14891276583091, "quantity": 2, "restock_type": "return"}
        ],
        "transactions": [{"kind": "refund", "status": "success", "amount": "39.98"}],
    }
    assert (await send(client, "refunds/create", refund)).status_code == 200
    order = await mirrored(app)
    assert order is not None and order.status == OrderStatus.REFUNDED


async def test_products_and_inventory_keep_stock_in_step(
    app: FastAPI, client: httpx.AsyncClient, make_product: Callable[..., Any]
) -> None:
    product = await make_product(sku="HAT-MERINO-GRY", currency="USD", price_cents=1999, stock=5)
    shopify_product = {
        "id": 8872350015923,
        "title": "Merino Wool Beanie",
        "status": "active",
        "variants": [
            {
                "id": 46728195330227,
                "sku": "HAT-MERINO-GRY",
                "price": "19.99",
                "inventory_item_id": BIG_ID,
            }
        ],
    }
    assert (await send(client, "products/update", shopify_product)).status_code == 200
    read = await client.get(f"/api/v1/products/{product['id']}")  # now in the product cache
    assert read.json()["data"]["stock"] == 5
    level = {
        "inventory_item_id": BIG_ID,
        "location_id": 655441491,
        "available": 42,
        "updated_at": "2025-03-14T10:41:27-04:00",
    }
    assert (await send(client, "inventory_levels/update", level)).status_code == 200
    variant_id = await variant_of(app, product["id"])
    assert await variant_stock(app, variant_id) == 42
    read = await client.get(f"/api/v1/products/{product['id']}")
    assert read.json()["data"]["stock"] == 42
    untracked = {**level, "available": None}
    assert (await send(client, "inventory_levels/update", untracked)).status_code == 200
    assert await variant_stock(app, variant_id) == 42


async def test_the_sweeper_retries_what_failed(
    app: FastAPI, client: httpx.AsyncClient, make_product: Callable[..., Any]
) -> None:
    broken = shopify_order()
    del broken["total_price"]
    assert (await send(client, "orders/create", broken)).status_code == 200
    async with app.state.sessionmaker() as session:
        (row,) = (await session.scalars(select(ShopifyDelivery))).all()
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    # Fix the stored payload as an operator would, then sweep: no sleeps, a direct call.
    async with app.state.sessionmaker() as session:
        stored = await session.get(ShopifyDelivery, row.id)
        assert stored is not None
        stored.body = json.dumps(shopify_order())
        await session.commit()
    await make_product(sku="HAT-MERINO-GRY", currency="USD", price_cents=1999)
    assert await service.sweep(app.state.sessionmaker, app.state.stock) == 1
    assert await mirrored(app) is not None
    assert await service.sweep(app.state.sessionmaker, app.state.stock) == 0


async def test_the_app_sweeps_in_the_background_and_stops_cleanly(
    settings: Settings, engine: AsyncEngine
) -> None:
    app = create_app(settings.model_copy(update={"shopify_sweep_interval": 0.05}))
    async with app.router.lifespan_context(app):
        (sweeper,) = [t for t in asyncio.all_tasks() if t.get_name() == "shopify-sweeper"]
        # A delivery stored by a worker that died before processing it.
        body, headers = delivery("orders/create", shopify_order())
        async with app.state.sessionmaker() as session:
            row = ShopifyDelivery(
                shop=headers["X-Shopify-Shop-Domain"],
                topic="orders/create",
                dedup_key=headers["X-Shopify-Event-Id"],
                webhook_id=headers["X-Shopify-Webhook-Id"],
                body=body.decode(),
            )
            assert await service.store(session, row)
        deadline = time.monotonic() + 10
        while await mirrored(app) is None:
            assert time.monotonic() < deadline, "the sweeper did not process the delivery"
            await asyncio.sleep(0.02)
    assert sweeper.cancelled()


@pytest.mark.parametrize(
    ("shop", "status"),
    [
        ("emma-tea-house.myshopify.com", 200),
        ("Emma-Tea-House.myshopify.com", 200),
        ("someone-else.myshopify.com", 401),
        ("", 401),
    ],
    ids=["allowed", "allowed-any-case", "other-shop", "no-shop"],
)
async def test_only_allowed_shops_are_heard(
    settings: Settings, engine: AsyncEngine, shop: str, status: int
) -> None:
    allowed = ["emma-tea-house.myshopify.com", "second-shop.myshopify.com"]
    app = create_app(settings.model_copy(update={"shopify_shop_domains": allowed}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body, headers = delivery("orders/create", shopify_order())
            headers["X-Shopify-Shop-Domain"] = shop
            if not shop:
                del headers["X-Shopify-Shop-Domain"]
            answer = await client.post(HOOK, content=body, headers=headers)
        assert answer.status_code == status, answer.text
        async with app.state.sessionmaker() as session:
            stored = (await session.scalars(select(ShopifyDelivery))).all()
        assert len(stored) == (status == 200)
    if status == 401:
        assert answer.json()["code"] == 40101


def test_shop_domains_are_read_as_a_comma_separated_list(settings: Settings) -> None:
    read = Settings.model_validate(
        {**settings.model_dump(), "shopify_shop_domains": " A.myshopify.com, b.myshopify.com ,"}
    )
    assert read.shopify_shop_domains == ["a.myshopify.com", "b.myshopify.com"]


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("app/uninstalled", {"id": 548380009, "domain": "emma-tea-house.myshopify.com"}),
        (
            "customers/data_request",
            {
                "shop_id": 954889,
                "shop_domain": "emma-tea-house.myshopify.com",
                "orders_requested": [BIG_ID],
                "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
                "data_request": {"id": 9999},
            },
        ),
        (
            "customers/redact",
            {
                "shop_id": 954889,
                "shop_domain": "emma-tea-house.myshopify.com",
                "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
                "orders_to_redact": [BIG_ID],
            },
        ),
        ("shop/redact", {"shop_id": 954889, "shop_domain": "emma-tea-house.myshopify.com"}),
    ],
)
async def test_lifecycle_and_privacy_topics_are_acknowledged_and_recorded(
    app: FastAPI, client: httpx.AsyncClient, topic: str, payload: dict[str, Any]
) -> None:
    answer = await send(client, topic, payload)
    assert answer.status_code == 200
    assert answer.json()["data"] == {"received": True, "duplicate": False}
    async with app.state.sessionmaker() as session:
        (row,) = (await session.scalars(select(ShopifyDelivery))).all()
    assert (row.topic, row.status, row.shop) == (topic, "done", "emma-tea-house.myshopify.com")
    assert row.processed_at is not None


async def test_privacy_topics_need_a_valid_signature(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body, headers = delivery("customers/redact", {"shop_id": 954889})
    headers["X-Shopify-Hmac-Sha256"] = sign(body, "another-apps-secret")
    answer = await client.post(HOOK, content=body, headers=headers)
    assert answer.status_code == 401
    async with app.state.sessionmaker() as session:
        assert (await session.scalars(select(ShopifyDelivery))).all() == []


async def test_replayed_and_out_of_order_inventory_never_rolls_stock_back(
    app: FastAPI, client: httpx.AsyncClient, make_product: Callable[..., Any]
) -> None:
    product = await make_product(sku="HAT-MERINO-GRY", currency="USD", price_cents=1999, stock=5)
    variant = {"id": 46728195330227, "sku": "HAT-MERINO-GRY", "inventory_item_id": BIG_ID}
    mapping = {"id": 8872350015923, "title": "Beanie", "status": "active", "variants": [variant]}
    assert (await send(client, "products/update", mapping)).status_code == 200
    older = {"inventory_item_id": BIG_ID, "available": 40, "updated_at": "2025-03-14T10:00:00Z"}
    newer = {**older, "available": 7, "updated_at": "2025-03-14T11:00:00Z"}

    variant_id = await variant_of(app, product["id"])

    async def stock() -> int:
        return await variant_stock(app, variant_id)

    captured, headers = delivery("inventory_levels/update", older)
    assert (await client.post(HOOK, content=captured, headers=headers)).status_code == 200
    assert await stock() == 40
    assert (await send(client, "inventory_levels/update", newer)).status_code == 200
    assert await stock() == 7
    # The captured older delivery, validly signed, sent again under fresh ids: a replay.
    fresh = {
        **headers,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
    }
    replay = await client.post(HOOK, content=captured, headers=fresh)
    assert replay.status_code == 200
    assert replay.json()["data"] == {"received": True, "duplicate": True}
    assert await stock() == 7
    # An older level that is not a byte-for-byte replay arrives late: acknowledged, ignored.
    late = {**older, "available": 39, "location_id": 655441491}
    assert (await send(client, "inventory_levels/update", late)).status_code == 200
    assert await stock() == 7
    registry = app.state.metrics.registry
    ignored = {"source": "shopify", "topic": "inventory_levels/update"}
    assert (
        registry.get_sample_value(
            "webhook_deliveries_ignored_total", {**ignored, "reason": "duplicate"}
        )
        == 1.0
    )
    assert (
        registry.get_sample_value(
            "webhook_deliveries_ignored_total", {**ignored, "reason": "stale"}
        )
        == 1.0
    )
