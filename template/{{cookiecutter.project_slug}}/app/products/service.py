"""Product and variant reads and writes. Reads go through the cache; writes clear it.

Concurrent writes are last-write-wins: the contract carries no version or ETag to compare,
so the later PUT or PATCH replaces the earlier one.

A product sells through its variants. One without options has exactly one, which takes the
product's sku, price and stock when it is created, and follows `price_cents` and `stock`
written to the product afterwards; a product with options lists a variant per combination
it sells, each written on its own. Either way the product's `price_cents` is kept equal to
its cheapest live variant's, in the same transaction as the variant write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from app.api import operations as ops
from app.core import changes
from app.core.db import utcnow
from app.core.errors import Conflict, FieldErrors, LimitReached, NotFound, field_error
from app.products import contract_fields, variant_contract_fields
from app.products.cache import ProductCache
from app.products.models import DEFAULT_TITLE, Product, ProductVariant
from app.stock.backend import StockBackend

PUBLIC_STATUS = "active"
# A page past this offset is past the end of any table, and past what SQL's OFFSET takes.
MAX_OFFSET = 2**63 - 1
# A product's stock is the sum of its variants' and answers as an int64, like each count.
MAX_STOCK = 2**63 - 1
MAX_OPTIONS = 3
MAX_OPTION_VALUES = 50
_SORTS: Mapping[str, tuple[ColumnElement[Any], ...]] = {
    "created_at": (Product.created_at.asc(), Product.id.asc()),
    "-created_at": (Product.created_at.desc(), Product.id.desc()),
    "price_cents": (Product.price_cents.asc(), Product.id.asc()),
    "-price_cents": (Product.price_cents.desc(), Product.id.desc()),
    "title": (Product.title.asc(), Product.id.asc()),
    "-title": (Product.title.desc(), Product.id.desc()),
}
_LIVE_VARIANT = and_(ProductVariant.product_id == Product.id, ProductVariant.deleted_at.is_(None))


class ProductNotFound(NotFound):
    msg = "Product not found"


class VariantNotFound(NotFound):
    msg = "Variant not found"


class SkuTaken(Conflict):
    msg = "A product with this sku exists"


class VariantTaken(Conflict):
    msg = "A variant with this sku or these option values exists"


class LastVariant(LimitReached):
    msg = "A product keeps at least one variant; delete the product instead"


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def option_key(options: Mapping[str, str]) -> str:
    """A digest of a variant's option values, the same whatever order they came in."""
    canonical = json.dumps(sorted(options.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def variant_title(product_options: Sequence[Mapping[str, Any]], values: Mapping[str, str]) -> str:
    """`白 / M`, in the product's option order; "Default" for a product without options."""
    names = [str(option["name"]) for option in product_options]
    return " / ".join(values[name] for name in names if name in values) or DEFAULT_TITLE


@dataclass(frozen=True, slots=True)
class VariantPage:
    items: list[ProductVariant]
    total: int


class ProductService:
    def __init__(
        self, session: AsyncSession, cache: ProductCache, stock: StockBackend | None = None
    ) -> None:
        self.session = session
        self.cache = cache
        self.stock = stock

    # -- reads ---------------------------------------------------------------------------

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
            with_stock = exists().where(_LIVE_VARIANT, ProductVariant.stock > 0)
            query = query.where(with_stock if in_stock else ~with_stock)
        return query

    async def list(
        self, params: ops.ListProductsParams, *, include_hidden: bool
    ) -> ops.ListProductsData:
        key = ("list", params, include_hidden)
        cached = self.cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        generation = self.cache.generation
        query = self._filtered(params, include_hidden=include_hidden)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        order = _SORTS.get(getattr(params, "sort", None) or "-created_at", _SORTS["-created_at"])
        offset = (params.page - 1) * params.limit
        rows = (
            await self.session.scalars(
                query.options(selectinload(Product.variants))
                .order_by(*order)
                .offset(offset)
                .limit(params.limit)
            )
            if offset <= MAX_OFFSET
            else ()
        )
        page = ops.ListProductsData(
            items=[ops.GetProductData.model_validate(row, from_attributes=True) for row in rows],
            total=total or 0,
            page=params.page,
            limit=params.limit,
        )
        self.cache.put(key, page, generation=generation)
        return page

    async def _live(self, product_id: int, *, include_hidden: bool = True) -> Product:
        # One query, the variants joined: a read the cache missed waits on no second one.
        result = await self.session.execute(
            select(Product)
            .options(joinedload(Product.variants))
            .where(Product.id == product_id)
            .execution_options(populate_existing=True)
        )
        product = result.unique().scalar_one_or_none()
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
        generation = self.cache.generation
        product = await self._live(product_id, include_hidden=include_hidden)
        data = ops.GetProductData.model_validate(product, from_attributes=True)
        self.cache.put(key, data, generation=generation)
        return data

    # -- product writes --------------------------------------------------------------------

    async def _commit(
        self,
        product_id: int,
        levels: Mapping[int, int] | None = None,
        *,
        stocked: Sequence[int] = (),
    ) -> Product:
        """Commit, then answer the product as stored; a taken sku is a 409. `levels` are
        counts an admin wrote, `stocked` the variants made with their first count."""
        try:
            await self.session.flush()
            await changes.record(self.session, "product", product_id)
            for variant_id in sorted({*stocked, *(levels or {})}):
                await changes.record(self.session, "stock", variant_id)
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise SkuTaken() from None
        self.cache.clear()
        await self._set_levels(levels or {})
        return await self._live(product_id)

    async def _set_levels(self, levels: Mapping[int, int]) -> None:
        """Counts an admin wrote go to the stock backend too, after the database has them."""
        if self.stock is not None:
            for variant_id, stock in levels.items():
                await self.stock.set_level(variant_id, stock)

    async def create(self, fields: Mapping[str, Any]) -> ops.GetProductData:
        options = _options(fields.get("options"))
        drafts = _variant_drafts(fields, options)
        _check_total_stock([draft["stock"] for draft in drafts], "variants" if options else "stock")
        now = utcnow()
        currency = str(fields["currency"])
        product = Product(
            **_columns(fields),
            options=options,
            price_cents=min(draft["price_cents"] for draft in drafts),
            created_at=now,
            updated_at=now,
        )
        try:
            self.session.add(product)
            await self.session.flush()
            made = [
                ProductVariant(
                    **draft,
                    product_id=product.id,
                    currency=currency,
                    option_key=option_key(draft["options"]),
                    title=variant_title(options, draft["options"]),
                    created_at=now,
                    updated_at=now,
                )
                for draft in drafts
            ]
            self.session.add_all(made)
            await self.session.flush()
        except IntegrityError:
            await self.session.rollback()
            raise SkuTaken("A product or variant with this sku exists") from None
        stored = await self._commit(product.id, stocked=[variant.id for variant in made])
        return ops.GetProductData.model_validate(stored, from_attributes=True)

    async def update(self, product_id: int, fields: Mapping[str, Any]) -> ops.GetProductData:
        """PUT and PATCH: `fields` are the body's. `price_cents` and `stock` belong to the one
        variant of a product that has one; on a product with several they are a 422."""
        product = await self._live(product_id)
        variants = list(product.variants)
        own = {
            name: fields[name] for name in ("price_cents", "stock") if fields.get(name) is not None
        }
        if own and len(variants) != 1:
            raise FieldErrors(
                [
                    field_error(
                        name,
                        f"The product has {len(variants)} variants; set {name} on each of them.",
                        "has_variants",
                    )
                    for name in own
                ]
            )
        if fields.get("options") is not None:
            options = _options(fields["options"])
            _check_variants_fit(options, variants)
            product.options = options
            for variant in variants:
                variant.title = variant_title(options, variant.options)
        now = utcnow()
        old_sku = product.sku
        for name, value in _columns(fields).items():
            setattr(product, name, value)
        product.updated_at = now
        levels: dict[int, int] = {}
        for variant in variants:
            variant.currency = product.currency
            if len(variants) == 1:
                if variant.sku == old_sku and product.sku != old_sku:
                    variant.sku = product.sku  # the one variant carries the product's sku
                if "price_cents" in own:
                    variant.price_cents = int(own["price_cents"])
                if "stock" in own:
                    variant.stock = int(own["stock"])
                    levels[variant.id] = variant.stock
            variant.updated_at = now
        if "price_cents" in own:
            product.price_cents = int(own["price_cents"])
        stored = await self._commit(product.id, levels)
        return ops.GetProductData.model_validate(stored, from_attributes=True)

    async def delete(self, product_id: int) -> None:
        """Soft-delete the product and its variants: their skus are free again."""
        product = await self._live(product_id)
        now = utcnow()
        product.deleted_at = now
        await self.session.execute(
            update(ProductVariant)
            .where(ProductVariant.product_id == product.id, ProductVariant.deleted_at.is_(None))
            .values(deleted_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.flush()
        await changes.record(self.session, "product", product.id)
        await self.session.commit()
        self.cache.clear()

    # -- variants ----------------------------------------------------------------------------

    async def list_variants(
        self, product_id: int, *, page: int, limit: int, include_hidden: bool
    ) -> VariantPage:
        await self._live(product_id, include_hidden=include_hidden)
        live = (ProductVariant.product_id == product_id, ProductVariant.deleted_at.is_(None))
        total = await self.session.scalar(select(func.count(ProductVariant.id)).where(*live))
        if (page - 1) * limit > MAX_OFFSET:
            return VariantPage([], total or 0)
        rows = await self.session.scalars(
            select(ProductVariant)
            .where(*live)
            .order_by(ProductVariant.id)
            .offset((page - 1) * limit)
            .limit(limit)
        )
        return VariantPage(list(rows), total or 0)

    async def _variant(self, product: Product, variant_id: int) -> ProductVariant:
        for variant in product.variants:
            if variant.id == variant_id:
                return variant
        raise VariantNotFound()

    async def create_variant(self, product_id: int, fields: Mapping[str, Any]) -> ProductVariant:
        product = await self._live(product_id)
        values = dict(fields.get("options") or {})
        _check_currency(product, fields)
        product.options = _fit_options(product.options, values, "options")
        stock = int(fields.get("stock") or 0)
        _check_total_stock([v.stock for v in product.variants] + [stock], "stock")
        now = utcnow()
        variant = ProductVariant(
            product_id=product.id,
            sku=str(fields["sku"]),
            options=values,
            option_key=option_key(values),
            title=variant_title(product.options, values),
            price_cents=int(fields["price_cents"]),
            currency=product.currency,
            stock=stock,
            barcode=fields.get("barcode"),
            weight_grams=fields.get("weight_grams"),
            created_at=now,
            updated_at=now,
            **variant_contract_fields.column_values(fields),
        )
        self.session.add(variant)
        product.updated_at = now
        return await self._commit_variant(product.id, variant, stock_written=False, new=True)

    async def update_variant(
        self, product_id: int, variant_id: int, fields: Mapping[str, Any]
    ) -> ProductVariant:
        product = await self._live(product_id)
        variant = await self._variant(product, variant_id)
        _check_currency(product, fields)
        if fields.get("stock") is not None:
            others = [v.stock for v in product.variants if v.id != variant.id]
            _check_total_stock([*others, int(fields["stock"])], "stock")
        now = utcnow()
        if fields.get("options") is not None:
            values = dict(fields["options"])
            product.options = _fit_options(product.options, values, "options")
            variant.options = values
            variant.option_key = option_key(values)
            variant.title = variant_title(product.options, values)
        for name in ("sku", "price_cents", "stock"):
            if fields.get(name) is not None:
                setattr(variant, name, fields[name])
        for name in ("barcode", "weight_grams"):
            if name in fields:
                setattr(variant, name, fields[name])
        for name, value in variant_contract_fields.column_values(fields).items():
            setattr(variant, name, value)
        variant.updated_at = now
        product.updated_at = now
        return await self._commit_variant(
            product.id, variant, stock_written=fields.get("stock") is not None
        )

    async def delete_variant(self, product_id: int, variant_id: int) -> None:
        product = await self._live(product_id)
        variant = await self._variant(product, variant_id)
        if len(product.variants) == 1:
            raise LastVariant()
        variant.deleted_at = utcnow()
        await self.session.flush()
        await self._reprice(product.id)
        await changes.record(self.session, "product", product.id)
        await self.session.commit()
        self.cache.clear()

    async def _commit_variant(
        self, product_id: int, variant: ProductVariant, *, stock_written: bool, new: bool = False
    ) -> ProductVariant:
        try:
            await self.session.flush()
            await self._reprice(product_id)
            await changes.record(self.session, "product", product_id)
            if stock_written or new:
                await changes.record(self.session, "stock", variant.id)
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise VariantTaken() from None
        self.cache.clear()
        if stock_written:
            await self._set_levels({variant.id: variant.stock})
        await self.session.refresh(variant)
        return variant

    async def _reprice(self, product_id: int) -> None:
        """The product's price follows its cheapest live variant, in the same transaction."""
        cheapest = (
            select(func.min(ProductVariant.price_cents))
            .where(ProductVariant.product_id == product_id, ProductVariant.deleted_at.is_(None))
            .scalar_subquery()
        )
        await self.session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(price_cents=cheapest)
            .execution_options(synchronize_session=False)
        )


_NULLABLE = frozenset({"category"})
_WRITABLE = frozenset({"sku", "title", "description", "currency", "status", "category"})


def _columns(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The writable product columns among a body's fields, the contract's own included;
    fields the table lacks are ignored."""
    columns = {
        k: v for k, v in fields.items() if k in _WRITABLE and (v is not None or k in _NULLABLE)
    }
    if fields.get("images") is not None:
        columns["images"] = [str(image) for image in fields["images"]]
    return columns | contract_fields.column_values(fields)


def _check_total_stock(counts: Sequence[int], field: str) -> None:
    """Refuse counts whose sum, the product's stock, is past what the contract answers."""
    if sum(counts) > MAX_STOCK:
        message = f"The product's variants would hold more than {MAX_STOCK} units in all."
        raise FieldErrors([field_error(field, message, "total_too_large")])


def _options(raw: Any) -> list[dict[str, Any]]:
    """A body's `options` as stored, with names unique."""
    options = [
        {"name": str(option["name"]), "values": [str(value) for value in option["values"]]}
        for option in (raw or [])
    ]
    names = [option["name"] for option in options]
    errors = [
        field_error(f"options.{index}.name", f"Option {name} is named twice.", "duplicate")
        for index, name in enumerate(names)
        if name in names[:index]
    ]
    if len(options) > MAX_OPTIONS:
        errors.append(field_error("options", "A product has at most 3 options.", "too_long"))
    if errors:
        raise FieldErrors(errors)
    return options


def _variant_drafts(
    fields: Mapping[str, Any], options: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The variants a createProduct body makes: its `variants`, or the one the product's own
    sku, price and stock describe."""
    raw = fields.get("variants")
    if not options:
        if raw:
            message = "List options first: variants name a value of each option."
            raise FieldErrors([field_error("variants", message, "options_missing")])
        if fields.get("price_cents") is None:
            message = "A product without options needs its price."
            raise FieldErrors([field_error("price_cents", message, "missing")])
        return [
            {
                "sku": str(fields["sku"]),
                "options": {},
                "price_cents": int(fields["price_cents"]),
                "stock": int(fields.get("stock") or 0),
            }
        ]
    errors = [
        field_error(name, f"A product with options has {name} on each variant.", "has_variants")
        for name in ("price_cents", "stock")
        if fields.get(name)
    ]
    if not raw:
        errors.append(field_error("variants", "List the variants to sell.", "missing"))
    drafts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, variant in enumerate(raw or ()):
        values = {str(k): str(v) for k, v in (variant.get("options") or {}).items()}
        errors += _misfits(options, values, f"variants.{index}.options")
        key = option_key(values)
        if key in seen:
            message = "Another variant has the same option values."
            errors.append(field_error(f"variants.{index}.options", message, "duplicate"))
        seen.add(key)
        drafts.append(
            {
                "sku": str(variant["sku"]),
                "options": values,
                "price_cents": int(variant["price_cents"]),
                "stock": int(variant.get("stock") or 0),
                "barcode": variant.get("barcode"),
                "weight_grams": variant.get("weight_grams"),
                **variant_contract_fields.column_values(variant),
            }
        )
    skus = [draft["sku"] for draft in drafts]
    errors += [
        field_error(f"variants.{index}.sku", "Another variant has this sku.", "duplicate")
        for index, sku in enumerate(skus)
        if sku in skus[:index]
    ]
    if errors:
        raise FieldErrors(errors)
    return drafts


def _misfits(
    options: Sequence[Mapping[str, Any]], values: Mapping[str, str], field: str
) -> list[dict[str, str]]:
    """What keeps option values from fitting a product's options."""
    names = [str(option["name"]) for option in options]
    errors: list[dict[str, str]] = []
    if set(values) != set(names):
        listed = ", ".join(names) or "none"
        message = f"Name a value for each option of the product ({listed}), and only those."
        errors.append(field_error(field, message, "options_mismatch"))
        return errors
    for option in options:
        value = values[str(option["name"])]
        if value not in option["values"]:
            message = f"{value} is not a value of option {option['name']}."
            errors.append(field_error(f"{field}.{option['name']}", message, "not_an_option_value"))
    return errors


def _fit_options(
    options: Sequence[Mapping[str, Any]], values: Mapping[str, str], field: str
) -> list[dict[str, Any]]:
    """The product's options with any new value of `values` appended to its option; 422 when
    `values` does not name exactly the product's options."""
    names = [str(option["name"]) for option in options]
    if set(values) != set(names):
        listed = ", ".join(names) or "none"
        message = f"Name a value for each option of the product ({listed}), and only those."
        raise FieldErrors([field_error(field, message, "options_mismatch")])
    fitted: list[dict[str, Any]] = []
    for option in options:
        listed_values = [str(value) for value in option["values"]]
        value = values[str(option["name"])]
        if value not in listed_values:
            if len(listed_values) >= MAX_OPTION_VALUES:
                message = f"Option {option['name']} already has {MAX_OPTION_VALUES} values."
                raise FieldErrors([field_error(f"{field}.{option['name']}", message, "too_long")])
            listed_values.append(value)
        fitted.append({"name": str(option["name"]), "values": listed_values})
    return fitted


def _check_variants_fit(
    options: Sequence[Mapping[str, Any]], variants: Sequence[ProductVariant]
) -> None:
    errors: list[dict[str, str]] = []
    for variant in variants:
        for problem in _misfits(options, variant.options, "options"):
            message = f"Variant {variant.sku} no longer fits: {problem['message']}"
            errors.append(field_error("options", message, problem["type"]))
    if errors:
        raise FieldErrors(errors)


def _check_currency(product: Product, fields: Mapping[str, Any]) -> None:
    currency = fields.get("currency")
    if currency is not None and currency != product.currency:
        message = f"Variants are priced in the product's currency, {product.currency}."
        raise FieldErrors([field_error("currency", message, "currency_mismatch")])
