"""The variant behind a product a test made: a product without options sells as one."""

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.products.models import ProductVariant
from tests import payloads


async def variant_of(app: FastAPI, product_id: int) -> int:
    async with app.state.sessionmaker() as session:
        found = await session.scalars(
            select(ProductVariant.id).where(
                ProductVariant.product_id == product_id, ProductVariant.deleted_at.is_(None)
            )
        )
        ids = list(found)
    assert len(ids) == 1, f"product {product_id} has variants {ids}"
    return int(ids[0])


async def variant_stock(app: FastAPI, variant_id: int) -> int:
    async with app.state.sessionmaker() as session:
        stock = await session.scalar(
            select(ProductVariant.stock).where(ProductVariant.id == variant_id)
        )
    assert stock is not None
    return int(stock)


async def buy_variant(
    client: httpx.AsyncClient, headers: dict[str, str], product: Any, key: str, quantity: int = 1
) -> httpx.Response:
    """An order of the product's (first) variant, under Idempotency-Key `key`."""
    line = {"variant_id": product["variants"][0]["id"], "quantity": quantity}
    return await client.post(
        "/api/v1/orders",
        json={"items": [line], **payloads.CREATE_ORDER},
        headers={**headers, "Idempotency-Key": key},
    )
