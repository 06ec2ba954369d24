"""The ERP's signed pushes: stock levels and prices applied only when newer, once per
`sync_id`, after the signature over the raw body checks out."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.erp.config import ErpSettings
from app.erp.signing import signature
from app.main import create_app
from app.products.models import Product, ProductVariant
from tests.erp.fake_erp import FakeErp

UPDATES = "/api/v1/erp/updates"


def _stock(sync_id: str, version: int, at: str, stock: int, sku: str = "TEA-1") -> dict[str, Any]:
    return {
        "sync_id": sync_id,
        "kind": "stock",
        "sku": sku,
        "version": version,
        "last_modified_at": at,
        "stock": stock,
    }


async def _push(client: httpx.AsyncClient, fake_erp: FakeErp, *items: dict[str, Any]) -> list[str]:
    body, headers = fake_erp.push(list(items))
    response = await client.post(UPDATES, content=body, headers=headers)
    assert response.status_code == 200, response.text
    return [item["outcome"] for item in response.json()["data"]["items"]]


async def _product(app: FastAPI, sku: str = "TEA-1") -> ProductVariant:
    """The variant with `sku`: a product without options sells as one, under its sku."""
    sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    async with sessionmaker() as session:
        variant = await session.scalar(
            select(ProductVariant).where(
                ProductVariant.sku == sku, ProductVariant.deleted_at.is_(None)
            )
        )
    assert variant is not None
    return variant


async def _listed_price(app: FastAPI, sku: str = "TEA-1") -> int:
    sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    async with sessionmaker() as session:
        price = await session.scalar(select(Product.price_cents).where(Product.sku == sku))
    assert price is not None
    return int(price)


async def test_newer_values_apply_and_older_ones_do_not(
    app: FastAPI, client: httpx.AsyncClient, fake_erp: FakeErp, make_product: Callable[..., Any]
) -> None:
    await make_product(stock=5)
    assert await _push(client, fake_erp, _stock("s-1", 3, "2025-03-14T09:00:00+08:00", 40)) == [
        "applied"
    ]
    assert (await _product(app)).stock == 40
    older = _stock("s-2", 9, "2025-03-14T08:59:59+08:00", 1)
    same_time_lower = _stock("s-3", 2, "2025-03-14T01:00:00Z", 2)
    same_time_higher = _stock("s-4", 4, "2025-03-14T01:00:00Z", 44)
    assert await _push(client, fake_erp, older, same_time_lower, same_time_higher) == [
        "stale",
        "stale",
        "applied",
    ]
    assert (await _product(app)).stock == 44


async def test_a_repeated_sync_id_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, fake_erp: FakeErp, make_product: Callable[..., Any]
) -> None:
    await make_product(stock=5)
    first = _stock("s-1", 1, "2025-03-14T09:00:00+08:00", 40)
    assert await _push(client, fake_erp, first) == ["applied"]
    changed = {**first, "stock": 1, "version": 99}
    assert await _push(client, fake_erp, changed, changed) == ["duplicate", "duplicate"]
    assert (await _product(app)).stock == 40


async def test_the_erp_repeating_a_push_at_once_applies_it_once(
    app: FastAPI, client: httpx.AsyncClient, fake_erp: FakeErp, make_product: Callable[..., Any]
) -> None:
    await make_product(stock=5)
    body, headers = fake_erp.push([_stock("s-1", 1, "2025-03-14T09:00:00+08:00", 40)])
    answers = await asyncio.gather(
        *(client.post(UPDATES, content=body, headers=headers) for _ in range(4))
    )
    outcomes = sorted(a.json()["data"]["items"][0]["outcome"] for a in answers)
    assert outcomes == ["applied", "duplicate", "duplicate", "duplicate"]
    assert (await _product(app)).stock == 40


async def test_prices_unknown_skus_and_other_currencies(
    app: FastAPI, client: httpx.AsyncClient, fake_erp: FakeErp, make_product: Callable[..., Any]
) -> None:
    await make_product(stock=5)
    price = {
        "sync_id": "p-1",
        "kind": "price",
        "sku": "TEA-1",
        "version": 1,
        "last_modified_at": "2025-03-14T09:00:00+08:00",
        "price_cents": 19900,
        "currency": "CNY",
    }
    usd = {**price, "sync_id": "p-2", "version": 2, "currency": "USD"}
    unknown = _stock("s-9", 1, "2025-03-14T09:00:00+08:00", 3, sku="NOPE")
    assert await _push(client, fake_erp, price, usd, unknown) == [
        "applied",
        "currency_mismatch",
        "unknown_sku",
    ]
    assert (await _product(app)).price_cents == 19900
    assert await _listed_price(app) == 19900  # the product shows its cheapest variant's


@pytest.mark.parametrize("change", ["body", "signature", "old", "missing"])
async def test_an_unsigned_or_stale_push_is_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    fake_erp: FakeErp,
    make_product: Callable[..., Any],
    change: str,
) -> None:
    await make_product(stock=5)
    at = time.time() - 3600 if change == "old" else None
    body, headers = fake_erp.push([_stock("s-1", 1, "2025-03-14T09:00:00+08:00", 40)], at=at)
    if change == "body":
        body = body.replace(b"40", b"41")
    elif change == "signature":
        headers["X-Shopgen-Signature"] = "sha256=" + "0" * 64
    elif change == "missing":
        del headers["X-Shopgen-Signature"]
    response = await client.post(UPDATES, content=body, headers=headers)
    assert response.status_code == 401 and response.json()["code"] == 40101
    assert (await _product(app)).stock == 5


async def test_a_signed_body_that_is_wrong_is_a_client_error(
    client: httpx.AsyncClient, fake_erp: FakeErp
) -> None:
    body, headers = fake_erp.push(
        [
            {
                "sync_id": "x",
                "kind": "stock",
                "sku": "A",
                "version": 1,
                "last_modified_at": "2025-03-14T09:00:00Z",
            }
        ]
    )
    response = await client.post(UPDATES, content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["data"]["errors"][0]["field"] == "items.0.stock"
    _, headers = fake_erp.push([])
    body = b"not json"
    headers["X-Shopgen-Signature"] = signature(
        fake_erp.secret, headers["X-Shopgen-Timestamp"], body
    )
    response = await client.post(UPDATES, content=body, headers=headers)
    assert response.status_code == 400 and response.json()["code"] == 40001


async def test_without_a_secret_the_endpoint_answers_501(
    settings: Settings, engine: object
) -> None:
    made = create_app(settings)
    made.state.erp_settings = ErpSettings(_env_file=None)  # type: ignore[call-arg]
    async with made.router.lifespan_context(made):
        transport = httpx.ASGITransport(app=made)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(UPDATES, content=b"{}")
    assert response.status_code == 501 and response.json()["code"] == 50101
