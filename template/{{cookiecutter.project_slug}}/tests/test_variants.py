"""Products that sell in variants: options, per-variant sku, price and stock, and orders
placed on variants, once with the database alone and once with Redis in front of it."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI

from app.core.config import Settings
from app.stock.backend import stock_key
from tests import payloads
from tests.markers import requires
from tests.redis_server import fresh_redis_url
from tests.variants import variant_stock

pytestmark = requires(
    "createProduct",
    "getProduct",
    "updateProduct",
    "listProducts",
    "listProductVariants",
    "createProductVariant",
    "updateProductVariant",
    "deleteProductVariant",
)

Headers = dict[str, str]
PRODUCTS = "/api/v1/products"


@pytest.fixture(params=["database", "redis"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "database":
        return settings
    return settings.model_copy(update={"redis_url": fresh_redis_url(request)})


def _tee(**extra: Any) -> dict[str, Any]:
    codes = {"白": "WHT", "黑": "BLK"}
    variants = [
        {
            "sku": f"TEE-{codes[c]}-{s}",
            "options": {"颜色": c, "尺码": s},
            "price_cents": p,
            "stock": n,
        }
        for c, s, p, n in (
            ("白", "M", 9900, 3),
            ("白", "L", 9900, 5),
            ("黑", "M", 10900, 2),
            ("黑", "L", 10900, 0),
        )
    ]
    return {
        "sku": "TEE",
        "title": "经典圆领T恤",
        "currency": "CNY",
        "status": "active",
        "options": [
            {"name": "颜色", "values": ["白", "黑"]},
            {"name": "尺码", "values": ["M", "L"]},
        ],
        "variants": variants,
        **payloads.CREATE_PRODUCT,
        **extra,
    }


@pytest.fixture
async def tee(client: httpx.AsyncClient, admin_headers: Headers) -> dict[str, Any]:
    response = await client.post(PRODUCTS, json=_tee(), headers=admin_headers)
    assert response.status_code == 201, response.text
    product: dict[str, Any] = response.json()["data"]
    return product


def _variant(product: dict[str, Any], title: str) -> dict[str, Any]:
    return next(v for v in product["variants"] if v["title"] == title)


async def _order(
    client: httpx.AsyncClient, headers: Headers, items: list[dict[str, Any]]
) -> httpx.Response:
    return await client.post(
        "/api/v1/orders",
        json={"items": items, **payloads.CREATE_ORDER},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )


def _redis_count(app: FastAPI, variant_id: int) -> int | None:
    url = app.state.settings.redis_url
    if url is None:
        return None
    with redis.Redis.from_url(url) as client:
        value = client.get(stock_key(variant_id))
    return int(value) if value is not None else None


async def test_a_product_with_options_lists_its_variants(
    client: httpx.AsyncClient, tee: dict[str, Any]
) -> None:
    assert [v["title"] for v in tee["variants"]] == ["白 / M", "白 / L", "黑 / M", "黑 / L"]
    assert tee["price_cents"] == 9900  # the cheapest
    assert tee["stock"] == 10  # every variant's
    assert {v["currency"] for v in tee["variants"]} == {"CNY"}
    page = await client.get(f"{PRODUCTS}/{tee['id']}/variants", params={"limit": 2, "page": 2})
    assert page.status_code == 200, page.text
    data = page.json()["data"]
    assert (data["total"], data["page"], data["limit"]) == (4, 2, 2)
    assert [v["sku"] for v in data["items"]] == ["TEE-BLK-M", "TEE-BLK-L"]


async def test_a_product_without_options_sells_as_one_variant(
    make_product: Callable[..., Any],
) -> None:
    product = await make_product(sku="TEA-9", price_cents=6800, stock=7)
    [variant] = product["variants"]
    assert (variant["sku"], variant["title"], variant["options"]) == ("TEA-9", "Default", {})
    assert (variant["price_cents"], variant["stock"]) == (6800, 7)


@pytest.mark.parametrize(
    ("change", "field", "kind"),
    [
        ({"price_cents": 5000}, "price_cents", "has_variants"),
        ({"variants": None}, "variants", "missing"),
        (
            {
                "variants": [
                    {"sku": "X-1", "options": {"颜色": "红", "尺码": "M"}, "price_cents": 1}
                ]
            },
            "variants.0.options.颜色",
            "not_an_option_value",
        ),
        (
            {"variants": [{"sku": "X-1", "options": {"颜色": "白"}, "price_cents": 1}]},
            "variants.0.options",
            "options_mismatch",
        ),
    ],
)
async def test_inconsistent_variants_are_refused_and_nothing_is_created(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    change: dict[str, Any],
    field: str,
    kind: str,
) -> None:
    body = {k: v for k, v in {**_tee(), **change}.items() if v is not None}
    response = await client.post(PRODUCTS, json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert (field, kind) in [(e["field"], e["type"]) for e in response.json()["data"]["errors"]]
    listed = await client.get(PRODUCTS, headers=admin_headers)
    assert listed.json()["data"]["total"] == 0


async def test_variants_are_added_changed_and_deleted(
    client: httpx.AsyncClient, admin_headers: Headers, tee: dict[str, Any]
) -> None:
    base = f"{PRODUCTS}/{tee['id']}/variants"
    added = await client.post(
        base,
        json={"sku": "TEE-WHT-XL", "options": {"颜色": "白", "尺码": "XL"}, "price_cents": 8900},
        headers=admin_headers,
    )
    assert added.status_code == 201, added.text
    xl = added.json()["data"]
    assert (xl["title"], xl["stock"], xl["barcode"]) == ("白 / XL", 0, None)
    product = (await client.get(f"{PRODUCTS}/{tee['id']}", headers=admin_headers)).json()["data"]
    assert product["options"][1] == {"name": "尺码", "values": ["M", "L", "XL"]}
    assert product["price_cents"] == 8900

    changed = await client.patch(
        f"{base}/{xl['id']}", json={"price_cents": 12900, "stock": 4}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["data"]["price_cents"], changed.json()["data"]["stock"]) == (12900, 4)
    product = (await client.get(f"{PRODUCTS}/{tee['id']}", headers=admin_headers)).json()["data"]
    assert product["price_cents"] == 9900

    gone = await client.delete(f"{base}/{xl['id']}", headers=admin_headers)
    assert gone.status_code == 200, gone.text
    product = (await client.get(f"{PRODUCTS}/{tee['id']}", headers=admin_headers)).json()["data"]
    assert len(product["variants"]) == 4
    again = await client.delete(f"{base}/{xl['id']}", headers=admin_headers)
    assert again.status_code == 404


async def test_variant_writes_that_conflict_change_nothing(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    tee: dict[str, Any],
    make_product: Callable[..., Any],
) -> None:
    base = f"{PRODUCTS}/{tee['id']}/variants"
    taken_options = {"sku": "TEE-NEW", "options": {"颜色": "白", "尺码": "M"}, "price_cents": 1}
    taken_sku = {"sku": "TEE-WHT-L", "options": {"颜色": "红", "尺码": "M"}, "price_cents": 1}
    for body in (taken_options, taken_sku):
        response = await client.post(base, json=body, headers=admin_headers)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == 40904
    dollars = await client.post(
        base,
        json={
            "sku": "TEE-USD",
            "options": {"颜色": "红", "尺码": "M"},
            "price_cents": 1,
            "currency": "USD",
        },
        headers=admin_headers,
    )
    assert dollars.status_code == 422
    other = await make_product(sku="OTHER")
    foreign = await client.patch(
        f"{base}/{other['variants'][0]['id']}", json={"stock": 1}, headers=admin_headers
    )
    assert foreign.status_code == 404
    product = (await client.get(f"{PRODUCTS}/{tee['id']}", headers=admin_headers)).json()["data"]
    assert product["variants"] == tee["variants"]
    assert product["options"] == tee["options"]

    price = await client.patch(
        f"{PRODUCTS}/{tee['id']}", json={"price_cents": 1}, headers=admin_headers
    )
    assert price.status_code == 422
    assert price.json()["data"]["errors"][0]["type"] == "has_variants"

    single = await make_product(sku="ONE")
    last = await client.delete(
        f"{PRODUCTS}/{single['id']}/variants/{single['variants'][0]['id']}", headers=admin_headers
    )
    assert last.status_code == 409
    assert last.json()["code"] == 40908


async def test_variant_counts_past_int64_in_all_are_422_and_change_nothing(
    client: httpx.AsyncClient, admin_headers: Headers, tee: dict[str, Any]
) -> None:
    """Each count may be any int64, but the product answers their sum as its stock."""
    base = f"{PRODUCTS}/{tee['id']}/variants"
    full = 2**63 - 1
    added = await client.post(
        base,
        json={
            "sku": "TEE-RED-M",
            "options": {"颜色": "红", "尺码": "M"},
            "price_cents": 1,
            "stock": full,
        },
        headers=admin_headers,
    )
    assert added.status_code == 422, added.text
    assert added.json()["data"]["errors"][0]["type"] == "total_too_large"
    first = tee["variants"][0]["id"]
    raised = await client.patch(f"{base}/{first}", json={"stock": full}, headers=admin_headers)
    assert raised.status_code == 422, raised.text
    many = _tee()
    many["variants"][0]["stock"] = full
    created = await client.post(PRODUCTS, json={**many, "sku": "TEE-2"}, headers=admin_headers)
    assert created.status_code == 422, created.text
    product = (await client.get(f"{PRODUCTS}/{tee['id']}", headers=admin_headers)).json()["data"]
    assert product["variants"] == tee["variants"]
    assert product["stock"] == tee["stock"]
    emptied = [v["id"] for v in tee["variants"][1:]]
    for variant_id in emptied:
        await client.patch(f"{base}/{variant_id}", json={"stock": 0}, headers=admin_headers)
    alone = await client.patch(f"{base}/{first}", json={"stock": full}, headers=admin_headers)
    assert alone.status_code == 200, alone.text
    product = (await client.get(f"{PRODUCTS}/{tee['id']}", headers=admin_headers)).json()["data"]
    assert product["stock"] == full


async def test_the_one_variant_follows_product_writes(
    client: httpx.AsyncClient, admin_headers: Headers, make_product: Callable[..., Any]
) -> None:
    product = await make_product(sku="TEA-1", price_cents=1000, stock=5)
    changed = await client.patch(
        f"{PRODUCTS}/{product['id']}",
        json={"price_cents": 1200, "stock": 9, "sku": "TEA-2"},
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text
    [variant] = changed.json()["data"]["variants"]
    assert (variant["sku"], variant["price_cents"], variant["stock"]) == ("TEA-2", 1200, 9)


@requires("createOrder")
async def test_orders_are_placed_on_variants(
    app: FastAPI,
    client: httpx.AsyncClient,
    customer_headers: Headers,
    admin_headers: Headers,
    tee: dict[str, Any],
    make_product: Callable[..., Any],
) -> None:
    white_m, black_m = _variant(tee, "白 / M"), _variant(tee, "黑 / M")
    response = await _order(
        client,
        customer_headers,
        [
            {"variant_id": white_m["id"], "quantity": 2},
            {"variant_id": black_m["id"], "product_id": tee["id"], "quantity": 1},
        ],
    )
    assert response.status_code == 201, response.text
    order = response.json()["data"]
    assert [(i["sku"], i["variant_title"], i["unit_price_cents"]) for i in order["items"]] == [
        ("TEE-WHT-M", "白 / M", 9900),
        ("TEE-BLK-M", "黑 / M", 10900),
    ]
    assert order["total_cents"] == 2 * 9900 + 10900
    assert await variant_stock(app, white_m["id"]) == 1
    assert await variant_stock(app, black_m["id"]) == 1
    assert _redis_count(app, white_m["id"]) in (None, 1)
    assert await variant_stock(app, _variant(tee, "白 / L")["id"]) == 5

    sold_out = await _order(
        client, customer_headers, [{"variant_id": black_m["id"], "quantity": 2}]
    )
    assert sold_out.status_code == 409
    assert sold_out.json()["code"] == 40901


@requires("createOrder")
async def test_lines_naming_the_wrong_thing_are_refused(
    client: httpx.AsyncClient,
    customer_headers: Headers,
    tee: dict[str, Any],
    make_product: Callable[..., Any],
) -> None:
    other = await make_product(sku="OTHER")
    foreign = await _order(
        client,
        customer_headers,
        [{"variant_id": _variant(tee, "白 / M")["id"], "product_id": other["id"], "quantity": 1}],
    )
    assert foreign.status_code == 422
    assert foreign.json()["code"] == 42203
    assert foreign.json()["data"]["errors"][0]["type"] == "not_of_product"

    ambiguous = await _order(client, customer_headers, [{"product_id": tee["id"], "quantity": 1}])
    assert ambiguous.status_code == 422
    assert ambiguous.json()["data"]["errors"][0] == {
        "field": "items.0.variant_id",
        "message": f"Product {tee['id']} has 4 variants; name one in variant_id.",
        "type": "missing",
    }
    nothing = await _order(client, customer_headers, [{"quantity": 1}])
    assert nothing.status_code == 422
