"""The variant behind a product a test made: a product without options sells as one."""

from fastapi import FastAPI
from sqlalchemy import select

from app.products.models import ProductVariant


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
