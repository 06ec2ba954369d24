"""createOrders answered before routing as the route answers them: sold-out ones refused,
the ones the gate lets through placed by the route's own handler. Everything else still
reaches the route, and no limit is counted twice."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from app.api import strict
from app.api.handlers import HANDLERS
from app.api.operations import OPERATIONS
from app.core.config import Settings
from app.core.errors import ShopError
from app.main import create_app
from app.orders.early_refusal import EarlyRefusal, _exception_handler, install_early_refusal
from app.orders.service import OrderService
from app.stock.backend import OutOfStock, StockLine
from tests import payloads
from tests.markers import requires
from tests.redis_server import fresh_redis_url
from tests.variants import buy_variant

pytestmark = requires("createOrder")

Headers = dict[str, str]
PER_ACCOUNT = 3


@pytest.fixture
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": fresh_redis_url(request),
            "rate_limits_enabled": True,
            "rate_limit_checkout_per_account": f"{PER_ACCOUNT}/minute",
            "rate_limit_checkout_per_ip": "1000/minute",
        }
    )


async def test_a_sold_out_order_never_reaches_the_route(
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    product = await make_product(stock=1)
    assert (
        await buy_variant(client, customer_headers, product, "key-last-unit")
    ).status_code == 201

    async def no_route(*args: object, **kwargs: object) -> None:
        raise AssertionError("the route placed a sold-out order")

    monkeypatch.setattr(OrderService, "place", no_route)
    early = await buy_variant(client, customer_headers, product, "key-early-1")
    assert early.status_code == 409
    assert early.headers["content-type"] == "application/json"
    assert "Idempotent-Replayed" not in early.headers
    monkeypatch.undo()
    # An admin's token goes to the route (its role is checked in the database): same answer.
    routed = await buy_variant(client, admin_headers, product, "key-routed-1")
    assert routed.status_code == 409
    assert routed.json() == early.json()


async def test_an_order_the_gate_lets_through_is_placed_without_the_router(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    make_product: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    product = await make_product(stock=5)
    route = next(
        each
        for each in app.router.routes
        if getattr(each, "path", None) == "/api/v1/orders"
        and "POST" in getattr(each, "methods", ())
    )

    async def unrouted(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the order was routed")

    monkeypatch.setattr(route, "app", unrouted)
    placed = await buy_variant(client, customer_headers, product, "key-placed-early")
    assert placed.status_code == 201
    assert "Idempotent-Replayed" not in placed.headers
    again = await buy_variant(client, customer_headers, product, "key-placed-early")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == placed.json()
    monkeypatch.undo()
    # An admin's token goes to the route: the same answer, for the same order.
    routed = await buy_variant(client, admin_headers, product, "key-placed-routed")
    assert routed.status_code == 201
    assert routed.json()["data"].keys() == placed.json()["data"].keys()
    assert routed.json()["data"]["items"][0]["variant_id"] == product["variants"][0]["id"]


async def test_what_placing_raises_is_answered_by_the_apps_own_handlers(
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draft = await make_product(sku="DRAFT-1", stock=3, status="draft")
    refused = await buy_variant(client, customer_headers, draft, "key-draft")
    assert refused.status_code == 422
    assert refused.json()["data"]["errors"][0]["type"] == "not_for_sale"
    product = await make_product(stock=3)

    async def unreachable(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT INTO orders", {}, OSError("connection refused"))

    monkeypatch.setattr(OrderService, "place", unreachable)
    down = await buy_variant(client, customer_headers, product, "key-database-down")
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(OrderService, "place", broken)
    failed = await buy_variant(client, customer_headers, product, "key-with-a-bug")
    assert failed.status_code == 500, failed.text
    assert "a bug" not in failed.text


def test_an_error_is_answered_by_the_handler_the_router_would_pick(settings: Settings) -> None:
    app = create_app(settings)

    async def teapot(request: Request, error: Exception) -> Response:
        return Response(status_code=418)

    app.add_exception_handler(418, teapot)
    assert _exception_handler(app, HTTPException(418)) is teapot
    assert _exception_handler(app, HTTPException(404)) is app.exception_handlers[HTTPException]
    shop_error = app.exception_handlers[ShopError]
    assert _exception_handler(app, OutOfStock(StockLine(1, 2), 0)) is shop_error
    assert _exception_handler(app, KeyError("no handler")) is None


async def test_a_body_checked_before_routing_is_not_checked_again(
    client: httpx.AsyncClient,
    customer_headers: Headers,
    make_product: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    product = await make_product(stock=5)
    checked: list[Any] = []
    check = strict._contract_errors

    def counted(validator: Any, body: Any) -> list[dict[str, Any]]:
        checked.append(body)
        return check(validator, body)

    monkeypatch.setattr(strict, "_contract_errors", counted)
    placed = await buy_variant(client, customer_headers, product, "key-checked-1")
    assert placed.status_code == 201
    assert checked == []
    # A line naming its product alone is left to the route, which checks the body itself.
    body = {"items": [{"product_id": product["id"], "quantity": 1}]}
    headers = {**customer_headers, "Idempotency-Key": "key-checked-2"}
    assert (await client.post("/api/v1/orders", json=body, headers=headers)).status_code == 201
    assert checked == [body]


async def test_what_the_route_would_refuse_otherwise_still_reaches_it(
    client: httpx.AsyncClient, customer_headers: Headers, make_product: Callable[..., Any]
) -> None:
    product = await make_product(stock=0)
    variant = product["variants"][0]["id"]
    malformed = await client.post(
        "/api/v1/orders",
        content=b'{"items": [{"variant_id": 1, "variant_id": 2, "quantity": 1}]}',
        headers={
            **customer_headers,
            "Idempotency-Key": "key-malformed",
            "Content-Type": "application/json",
        },
    )
    assert malformed.status_code == 400
    invalid = await client.post(
        "/api/v1/orders",
        json={"items": [{"variant_id": variant, "quantity": 0}], **payloads.CREATE_ORDER},
        headers={**customer_headers, "Idempotency-Key": "key-invalid"},
    )
    assert invalid.status_code == 422
    anonymous = await buy_variant(client, {}, product, "key-anonymous")
    assert anonymous.status_code == 401
    no_key = await client.post(
        "/api/v1/orders",
        json={"items": [{"variant_id": variant, "quantity": 1}], **payloads.CREATE_ORDER},
        headers=customer_headers,
    )
    assert no_key.status_code == 400


async def test_limits_are_counted_once_whichever_way_a_request_goes(
    client: httpx.AsyncClient, customer_headers: Headers, make_product: Callable[..., Any]
) -> None:
    product = await make_product(stock=1)
    bought = await buy_variant(client, customer_headers, product, "key-bought")  # the route: 1
    assert bought.status_code == 201
    # Sold out now. The retry is counted before routing, then replayed by the route: 2.
    retried = await buy_variant(client, customer_headers, product, "key-bought")
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    refused = await buy_variant(client, customer_headers, product, "key-refused")  # 3
    assert refused.status_code == 409
    limited = await buy_variant(client, customer_headers, product, "key-limited")  # 4 > 3
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1


def test_a_handler_of_the_users_answers_every_order_itself(settings: Settings) -> None:
    def count(app: FastAPI) -> int:
        return sum(getattr(each, "cls", None) == EarlyRefusal for each in app.user_middleware)

    app = create_app(settings)
    assert count(app) == 1

    async def own(*args: object) -> None:
        return None

    install_early_refusal(app, OPERATIONS, {**HANDLERS, "createOrder": own}, app.state.token_codec)
    assert count(app) == 1
