"""Orders over HTTP, once with the database alone and once with Redis in front of it."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI

from app.core.config import Settings
from app.orders.idempotency import Answer, Claim, IdempotencyInProgress, IdempotencyKeys
from app.orders.service import LineDraft, OrderService
from app.orders.state import TRANSITIONS, IllegalTransition, OrderStatus, check_transition
from app.stock.backend import stock_key
from tests import payloads
from tests.markers import requires
from tests.redis_server import fresh_redis_url
from tests.variants import variant_of

pytestmark = requires("createOrder", "listOrders", "getOrder", "cancelOrder")

Headers = dict[str, str]


@pytest.fixture(params=["database", "redis"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "database":
        return settings
    return settings.model_copy(update={"redis_url": fresh_redis_url(request)})


async def _order(
    client: httpx.AsyncClient,
    headers: Headers,
    items: list[dict[str, int]],
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    key = key or str(uuid.uuid4())
    return await client.post(
        "/api/v1/orders",
        json={"items": items, **payloads.CREATE_ORDER, **extra},
        headers={**headers, "Idempotency-Key": key},
    )


async def _stock(client: httpx.AsyncClient, headers: Headers, product_id: int) -> int:
    response = await client.get(f"/api/v1/products/{product_id}", headers=headers)
    stock: int = response.json()["data"]["stock"]
    return stock


async def _redis_stock(app: FastAPI, product_id: int) -> int | None:
    """The Redis count of the product's one variant, if there is a Redis."""
    url = app.state.settings.redis_url
    if url is None:
        return None
    variant_id = await variant_of(app, product_id)
    with redis.Redis.from_url(url) as client:
        value = client.get(stock_key(variant_id))
    return int(value) if value is not None else None


async def test_an_order_is_priced_from_the_catalogue_and_holds_stock(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    tea = await make_product(sku="TEA", price_cents=16800, stock=5)
    cup = await make_product(sku="CUP", title="Cup", price_cents=2500, stock=9)
    before = datetime.now(UTC)
    items = [
        {"product_id": tea["id"], "quantity": 2, "unit_price_cents": 1},
        {"product_id": cup["id"], "quantity": 1},
    ]
    response = await _order(client, customer_headers, items, note="gift wrap")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["code"] == 0
    order = body["data"]
    assert order["status"] == "pending_payment"
    assert order["source"] == "api"
    assert order["total_cents"] == 2 * 16800 + 2500
    assert [(i["sku"], i["unit_price_cents"], i["line_total_cents"]) for i in order["items"]] == [
        ("TEA", 16800, 33600),
        ("CUP", 2500, 2500),
    ]
    expires = datetime.fromisoformat(order["expires_at"])
    window = timedelta(seconds=app.state.settings.order_payment_window)
    assert before + window <= expires <= datetime.now(UTC) + window
    assert await _stock(client, admin_headers, tea["id"]) == 3
    assert await _redis_stock(app, tea["id"]) in (None, 3)


async def test_the_idempotency_key_is_required(
    client: httpx.AsyncClient, customer_headers: Headers, make_product: Callable[..., Any]
) -> None:
    product = await make_product()
    body = {"items": [{"product_id": product["id"], "quantity": 1}]}
    missing = await client.post("/api/v1/orders", json=body, headers=customer_headers)
    assert missing.status_code == 400
    assert missing.json()["code"] == 40001
    assert missing.json()["data"]["errors"][0]["field"] == "header.Idempotency-Key"
    short = await _order(client, customer_headers, body["items"], key="abc")
    assert short.status_code == 400


async def test_a_retried_key_replays_the_first_answer(
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=5)
    items = [{"product_id": product["id"], "quantity": 2}]
    first = await _order(client, customer_headers, items, key="retry-key-1")
    again = await _order(client, customer_headers, items, key="retry-key-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await _stock(client, admin_headers, product["id"]) == 3

    other = [{"product_id": product["id"], "quantity": 1}]
    reused = await _order(client, customer_headers, other, key="retry-key-1")
    assert reused.status_code == 422
    assert reused.json()["code"] == 42202

    # Keys are per user: another customer's identical key is a new order.
    stranger = await _order(client, admin_headers, items, key="retry-key-1")
    assert stranger.status_code == 201
    assert stranger.json()["data"]["id"] != first.json()["data"]["id"]


async def test_a_key_still_running_is_a_conflict(app: FastAPI, customer_headers: Headers) -> None:
    ttl, user_id = timedelta(hours=24), 1
    async with app.state.sessionmaker() as running, app.state.sessionmaker() as retry:
        keys = IdempotencyKeys(running, ttl)
        claim = await keys.claim(user_id, "running-key", "digest")
        assert isinstance(claim, Claim)
        await keys.hold(claim)  # in the transaction that writes the order
        with pytest.raises(IdempotencyInProgress) as raised:
            await IdempotencyKeys(retry, ttl).claim(user_id, "running-key", "digest")
    assert (raised.value.status_code, raised.value.code) == (409, 40903)
    assert raised.value.headers["Retry-After"] == "1"


async def test_a_key_whose_request_died_is_taken_over(
    app: FastAPI, customer_headers: Headers
) -> None:
    """A request that died with its key unanswered (its instance crashed): on PostgreSQL its
    row lock went with its connection and a retry runs at once; SQLite waits a minute."""
    ttl, user_id = timedelta(hours=24), 1
    async with app.state.sessionmaker() as dead:
        keys = IdempotencyKeys(dead, ttl)
        claim = await keys.claim(user_id, "dead-key", "digest")
        assert isinstance(claim, Claim)
        await keys.hold(claim)
    async with app.state.sessionmaker() as retry:
        keys = IdempotencyKeys(retry, ttl)
        if retry.get_bind().dialect.name == "sqlite":
            with pytest.raises(IdempotencyInProgress):
                await keys.claim(user_id, "dead-key", "digest")
            return
        again = await keys.claim(user_id, "dead-key", "digest")
        assert isinstance(again, Claim) and again.record_id != claim.record_id
        # The dead request, had it been only slow, could no longer answer for the key.
        async with app.state.sessionmaker() as late:
            with pytest.raises(IdempotencyInProgress):
                await IdempotencyKeys(late, ttl).record(claim, Answer(201, {"code": 0}))


async def test_out_of_stock_is_a_conflict_that_changes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    plenty = await make_product(sku="PLENTY", stock=10)
    scarce = await make_product(sku="SCARCE", stock=1)
    items = [
        {"product_id": plenty["id"], "quantity": 3},
        {"product_id": scarce["id"], "quantity": 2},
    ]
    response = await _order(client, customer_headers, items)
    assert response.status_code == 409
    assert response.json() == {
        "code": 40901,
        "data": {
            "errors": [
                {
                    "field": "items.1.quantity",
                    "message": "Only 1 unit of SCARCE left.",
                    "type": "out_of_stock",
                }
            ]
        },
        "msg": "Out of stock",
    }
    assert await _stock(client, admin_headers, plenty["id"]) == 10
    assert await _redis_stock(app, plenty["id"]) in (None, 10)
    listed = await client.get("/api/v1/orders", headers=customer_headers)
    assert listed.json()["data"]["total"] == 0


async def test_lines_that_cannot_be_sold_are_refused(
    client: httpx.AsyncClient, customer_headers: Headers, make_product: Callable[..., Any]
) -> None:
    active = await make_product(sku="ON")
    draft = await make_product(sku="DRAFT", status="draft")
    dollars = await make_product(sku="USD", currency="USD")
    items = [
        {"product_id": active["id"], "quantity": 1},
        {"product_id": draft["id"], "quantity": 1},
        {"product_id": 999_999, "quantity": 1},
        {"product_id": active["id"], "quantity": 1},
        {"product_id": dollars["id"], "quantity": 1},
    ]
    response = await _order(client, customer_headers, items)
    assert response.status_code == 422
    errors = response.json()["data"]["errors"]
    assert [(e["field"], e["type"]) for e in errors] == [
        ("items.1.product_id", "not_for_sale"),
        ("items.2.product_id", "not_for_sale"),
        ("items.3.product_id", "duplicate"),
        ("items.4.product_id", "currency_mismatch"),
    ]


async def test_concurrent_buyers_get_exactly_the_stock(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=10)
    items = [{"product_id": product["id"], "quantity": 1}]
    responses = await asyncio.gather(*(_order(client, customer_headers, items) for _ in range(50)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 10 + [409] * 40
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {40901}
    assert await _stock(client, admin_headers, product["id"]) == 0
    assert await _redis_stock(app, product["id"]) in (None, 0)


async def test_customers_see_their_own_orders_and_admins_see_all(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=20)
    items = [{"product_id": product["id"], "quantity": 1}]
    mine = (await _order(client, customer_headers, items)).json()["data"]
    theirs = (await _order(client, admin_headers, items)).json()["data"]
    async with app.state.sessionmaker() as session:
        await OrderService(session, app.state.stock).upsert_external(
            source="shopify",
            external_id="5923481723091000001",
            status=OrderStatus.PAID,
            items=[
                LineDraft(
                    product_id=product["id"],
                    variant_id=await variant_of(app, product["id"]),
                    sku="TEA-1",
                    title="Tea",
                    variant_title="Default",
                    quantity=2,
                    unit_price_cents=1000,
                )
            ],
            total_cents=2000,
            currency="CNY",
            updated_at=datetime.now(UTC),
        )

    listed = await client.get("/api/v1/orders", headers=customer_headers)
    assert [o["id"] for o in listed.json()["data"]["items"]] == [mine["id"]]
    hidden = await client.get(f"/api/v1/orders/{theirs['id']}", headers=customer_headers)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == 40401
    own = await client.get(f"/api/v1/orders/{mine['id']}", headers=customer_headers)
    detail = own.json()["data"]
    history = {
        key: detail.pop(key) for key in ("payments", "refunds", "shipments") if key in detail
    }
    assert detail == mine
    assert all(happened == [] for happened in history.values())

    everything = await client.get("/api/v1/orders", headers=admin_headers)
    assert everything.json()["data"]["total"] == 3
    shopify = await client.get(
        "/api/v1/orders", params={"source": "shopify"}, headers=admin_headers
    )
    [imported] = shopify.json()["data"]["items"]
    assert imported["external_id"] == "5923481723091000001"
    assert imported["user_id"] is None
    pending = await client.get(
        "/api/v1/orders", params={"status": "pending_payment"}, headers=admin_headers
    )
    assert {o["id"] for o in pending.json()["data"]["items"]} == {mine["id"], theirs["id"]}
    paged = await client.get(
        "/api/v1/orders", params={"limit": 1, "page": 2}, headers=admin_headers
    )
    assert paged.json()["data"]["total"] == 3
    assert len(paged.json()["data"]["items"]) == 1


async def test_cancelling_returns_stock_exactly_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=5)
    order = await _order(client, customer_headers, [{"product_id": product["id"], "quantity": 3}])
    order_id = order.json()["data"]["id"]
    assert await _stock(client, admin_headers, product["id"]) == 2

    url = f"/api/v1/orders/{order_id}/cancellation"
    responses = await asyncio.gather(
        *(client.post(url, headers=customer_headers) for _ in range(5))
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409]
    done = next(r for r in responses if r.status_code == 200).json()["data"]
    assert done["status"] == "cancelled"
    assert done["cancelled_at"] is not None
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["code"] == 40902
    assert await _stock(client, admin_headers, product["id"]) == 5
    assert await _redis_stock(app, product["id"]) in (None, 5)


async def test_only_the_owner_or_an_admin_cancels(
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=5)
    order = await _order(client, admin_headers, [{"product_id": product["id"], "quantity": 1}])
    url = f"/api/v1/orders/{order.json()['data']['id']}/cancellation"
    assert (await client.post(url, headers=customer_headers)).status_code == 404
    assert (await client.post(url, headers=admin_headers)).status_code == 200


async def test_a_paid_order_cannot_be_cancelled(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=5)
    order = await _order(client, customer_headers, [{"product_id": product["id"], "quantity": 2}])
    order_id = order.json()["data"]["id"]
    paid_at = datetime.now(UTC)
    async with app.state.sessionmaker() as session:
        orders = OrderService(session, app.state.stock)
        assert await orders.mark_paid(order_id, transaction_id="42", paid_at=paid_at) == "paid"
        again = await orders.mark_paid(order_id, transaction_id="42", paid_at=paid_at)
        assert again == "already_paid"
    refused = await client.post(f"/api/v1/orders/{order_id}/cancellation", headers=customer_headers)
    assert refused.status_code == 409
    assert refused.json()["msg"] == "Order is paid and cannot become cancelled"
    assert await _stock(client, admin_headers, product["id"]) == 3
    assert await _redis_stock(app, product["id"]) in (None, 3)


async def test_a_payment_after_cancellation_is_flagged(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(stock=5)
    order = await _order(client, customer_headers, [{"product_id": product["id"], "quantity": 1}])
    order_id = order.json()["data"]["id"]
    await client.post(f"/api/v1/orders/{order_id}/cancellation", headers=customer_headers)
    async with app.state.sessionmaker() as session:
        orders = OrderService(session, app.state.stock)
        outcome = await orders.mark_paid(
            order_id, transaction_id="4200001", paid_at=datetime.now(UTC)
        )
        assert outcome == "paid_after_cancel"
        assert (await orders.get(order_id, _admin())).status == "cancelled"
        with pytest.raises(IllegalTransition):
            await orders.change_status(order_id, OrderStatus.SHIPPED)


def _admin() -> Any:
    from app.orders.service import Viewer

    return Viewer(user_id=0, admin=True)


@pytest.mark.parametrize("current", list(OrderStatus))
@pytest.mark.parametrize("target", list(OrderStatus))
def test_the_transition_table_is_the_only_judge(current: OrderStatus, target: OrderStatus) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_transition(current, target)
