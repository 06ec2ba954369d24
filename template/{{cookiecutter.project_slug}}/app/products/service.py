"""Product reads and writes. Reads go through the cache; writes clear it.

Concurrent writes are last-write-wins: the contract carries no version or ETag to compare,
so the later PUT or PATCH replaces the earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import operations as ops
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound
from app.products import contract_fields
from app.products.cache import ProductCache
from app.products.models import Product

PUBLIC_STATUS = "active"
# A page past this offset is past the end of any table, and past what SQL's OFFSET takes.
MAX_OFFSET = 2**63 - 1
_SORTS: Mapping[str, tuple[ColumnElement[Any], ...]] = {
    "created_at": (Product.created_at.asc(), Product.id.asc()),
    "-created_at": (Product.created_at.desc(), Product.id.desc()),
    "price_cents": (Product.price_cents.asc(), Product.id.asc()),
    "-price_cents": (Product.price_cents.desc(), Product.id.desc()),
    "title": (Product.title.asc(), Product.id.asc()),
    "-title": (Product.title.desc(), Product.id.desc()),
}


class ProductNotFound(NotFound):
    msg = "Product not found"


class SkuTaken(Conflict):
    msg = "A product with this sku exists"


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ProductService:
    def __init__(self, session: AsyncSession, cache: ProductCache) -> None:
        self.session = session
        self.cache = cache

    def _filtered(self, params: ops.ListProductsParams, *, include_hidden: bool) -> Select[Any]:
        query = select(Product).where(Product.deleted_at.is_(None))
        if not include_hidden:
            query = query.where(Product.status == PUBLIC_STATUS)
        q = getattr(params, "q", None)
        if q:
            pattern = f"%{_escape_like(q.lower())}%"
            query = query.where(
                or_(
                    *(
                        func.lower(column).like(pattern, escape="\\")
                        for column in (Product.title, Product.sku, Product.description)
                    )
                )
            )
        category = getattr(params, "category", None)
        if category is not None:
            query = query.where(Product.category == category)
        low = getattr(params, "min_price_cents", None)
        if low is not None:
            query = query.where(Product.price_cents >= low)
        high = getattr(params, "max_price_cents", None)
        if high is not None:
            query = query.where(Product.price_cents <= high)
        in_stock = getattr(params, "in_stock", None)
        if in_stock is not None:
            query = query.where(Product.stock > 0 if in_stock else Product.stock == 0)
        return query

    async def list(
        self, params: ops.ListProductsParams, *, include_hidden: bool
    ) -> ops.ListProductsData:
        key = ("list", params, include_hidden)
        cached = self.cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        query = self._filtered(params, include_hidden=include_hidden)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        order = _SORTS.get(getattr(params, "sort", None) or "-created_at", _SORTS["-created_at"])
        offset = (params.page - 1) * params.limit
        rows = (
            await self.session.scalars(query.order_by(*order).offset(offset).limit(params.limit))
            if offset <= MAX_OFFSET
            else ()
        )
        page = ops.ListProductsData(
            items=[ops.GetProductData.model_validate(row, from_attributes=True) for row in rows],
            total=total or 0,
            page=params.page,
            limit=params.limit,
        )
        self.cache.put(key, page)
        return page

    async def _live(self, product_id: int, *, include_hidden: bool = True) -> Product:
        product = await self.session.get(Product, product_id)
        if product is None or product.deleted_at is not None:
            raise ProductNotFound()
        if not include_hidden and product.status != PUBLIC_STATUS:
            raise ProductNotFound()
        return product

    async def get(self, product_id: int, *, include_hidden: bool) -> ops.GetProductData:
        key = ("get", product_id, include_hidden)
        cached = self.cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        product = await self._live(product_id, include_hidden=include_hidden)
        data = ops.GetProductData.model_validate(product, from_attributes=True)
        self.cache.put(key, data)
        return data

    async def _commit(self, product: Product) -> ops.GetProductData:
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise SkuTaken() from None
        self.cache.clear()
        return ops.GetProductData.model_validate(product, from_attributes=True)

    async def create(self, fields: Mapping[str, Any]) -> ops.GetProductData:
        now = utcnow()
        product = Product(**_columns(fields), created_at=now, updated_at=now)
        self.session.add(product)
        return await self._commit(product)

    async def update(self, product_id: int, fields: Mapping[str, Any]) -> ops.GetProductData:
        product = await self._live(product_id)
        for name, value in _columns(fields).items():
            setattr(product, name, value)
        product.updated_at = utcnow()
        return await self._commit(product)

    async def delete(self, product_id: int) -> None:
        product = await self._live(product_id)
        product.deleted_at = utcnow()
        await self.session.commit()
        self.cache.clear()


_NULLABLE = frozenset({"category"})
_WRITABLE = frozenset(
    {"sku", "title", "description", "price_cents", "currency", "stock", "status", "category"}
)


def _columns(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The writable columns among a body's fields, the contract's own included; fields the
    table lacks are ignored."""
    columns = {
        k: v for k, v in fields.items() if k in _WRITABLE and (v is not None or k in _NULLABLE)
    }
    if fields.get("images") is not None:
        columns["images"] = [str(image) for image in fields["images"]]
    return columns | contract_fields.column_values(fields)
