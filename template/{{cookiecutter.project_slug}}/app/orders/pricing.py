"""What placing an order decides before it writes: the lines priced from the catalogue, the
shipping address copied, the customer's hold caps counted, and the order itself drafted.

Shared by the two ways an order is placed: one at a time (`OrderService.place`) and together
with the orders that arrive meanwhile (`app.orders.batch`). Each part reads once for any
number of orders, and decides per order.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.addresses.models import Address
from app.api import operations as ops
from app.auth.models import User
from app.core.envelope import ok
from app.core.errors import Code, FieldErrors, ForeignReference, ShopError, field_error
from app.orders import contract_fields, item_contract_fields
from app.orders.models import Order, OrderItem
from app.orders.state import OrderStatus
from app.products.models import Product, ProductVariant
from app.stock.backend import StockLine

FOR_SALE = "active"
# Amounts, ids and offsets are BIGINT: nothing larger reaches SQL.
MAX_AMOUNT = 2**63 - 1


class UnorderableItems(FieldErrors):
    """A line names a variant that cannot be sold; 422 like any invalid field."""


class HoldLimitReached(ShopError):
    """A customer's unpaid orders already hold as much as one customer may (409, 40905)."""

    status_code, code = 409, Code.HOLD_LIMIT
    msg = "Too many unpaid orders or units held; pay or cancel an order first"

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(data={"errors": errors})


@dataclass(frozen=True, slots=True)
class HoldLimits:
    """Caps on what one customer's unpaid orders may hold at once."""

    pending_orders: int = 5
    units_per_product: int = 50


@dataclass(frozen=True, slots=True)
class LineRequest:
    """A line as asked for: its variant, or a product with one variant."""

    variant_id: int | None
    product_id: int | None
    quantity: int
    # The line as the request body gave it: the contract's own fields are taken from it.
    fields: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class PricedLine:
    request: LineRequest
    variant: ProductVariant
    product: Product


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The variants and products some orders' lines name, read once for all of them."""

    variants: Mapping[int, ProductVariant]
    products: Mapping[int, Product]


async def read_catalogue(session: AsyncSession, lines: Iterable[LineRequest]) -> Catalogue:
    lines = list(lines)
    variant_ids = {line.variant_id for line in lines if line.variant_id is not None}
    variants = {
        variant.id: variant
        for variant in await session.scalars(
            select(ProductVariant).where(ProductVariant.id.in_(variant_ids))
        )
    }
    # A product's variants are read only for a line naming the product alone.
    alone = {line.product_id for line in lines if line.variant_id is None and line.product_id}
    products = {
        product.id: product
        for product in await session.scalars(
            select(Product).where(
                Product.id.in_({variant.product_id for variant in variants.values()} - alone)
            )
        )
    }
    if alone:
        products.update(
            (product.id, product)
            for product in await session.scalars(
                select(Product).options(selectinload(Product.variants)).where(Product.id.in_(alone))
            )
        )
    return Catalogue(variants, products)


def price(lines: Sequence[LineRequest], catalogue: Catalogue) -> list[PricedLine]:
    """Each line with its variant and product, or 422 naming every line that cannot be sold
    (42203 for a variant of another product than the line names)."""
    errors: list[dict[str, str]] = []
    foreign: list[dict[str, str]] = []
    seen: set[int] = set()
    currency: str | None = None
    priced: list[PricedLine] = []
    for index, line in enumerate(lines):
        found = _resolve(index, line, catalogue, errors, foreign)
        if found is None:
            continue
        variant, product = found
        # Named the way the line named it.
        field = f"items.{index}.{'variant_id' if line.variant_id else 'product_id'}"
        if variant.id in seen:
            errors.append(field_error(field, "This variant is on another line.", "duplicate"))
        elif currency is not None and product.currency != currency:
            message = f"{variant.sku} is priced in {product.currency}, not {currency}."
            errors.append(field_error(field, message, "currency_mismatch"))
        else:
            currency = product.currency
            priced.append(PricedLine(line, variant, product))
        seen.add(variant.id)
    if foreign:
        raise ForeignReference(foreign, "A line names a variant of another product")
    total = sum(line.variant.price_cents * line.request.quantity for line in priced)
    if not errors and total > MAX_AMOUNT:
        message = "The order's total is larger than an amount can be."
        errors.append(field_error("items", message, "total_too_large"))
    if errors:
        raise UnorderableItems(errors)
    return priced


def _resolve(
    index: int,
    line: LineRequest,
    catalogue: Catalogue,
    errors: list[dict[str, str]],
    foreign: list[dict[str, str]],
) -> tuple[ProductVariant, Product] | None:
    """The variant a line buys and its product; None, with the reason added to `errors`
    (or `foreign`), when it cannot be sold."""
    if line.variant_id is not None:
        field = f"items.{index}.variant_id"
        variant = catalogue.variants.get(line.variant_id)
        product = catalogue.products.get(variant.product_id) if variant is not None else None
        if variant is None or product is None or variant.deleted_at is not None:
            message = f"Variant {line.variant_id} is not for sale."
            errors.append(field_error(field, message, "not_for_sale"))
            return None
        if line.product_id is not None and line.product_id != variant.product_id:
            message = f"Variant {variant.id} belongs to product {variant.product_id}."
            foreign.append(field_error(field, message, "not_of_product"))
            return None
    elif line.product_id is not None:
        field = f"items.{index}.product_id"
        product = catalogue.products.get(line.product_id)
        if product is None or len(product.variants) == 0:
            message = f"Product {line.product_id} is not for sale."
            errors.append(field_error(field, message, "not_for_sale"))
            return None
        if len(product.variants) > 1:
            message = (
                f"Product {product.id} has {len(product.variants)} variants; "
                "name one in variant_id."
            )
            errors.append(field_error(f"items.{index}.variant_id", message, "missing"))
            return None
        variant = product.variants[0]
    else:
        message = "Name the variant (variant_id), or a product with one variant."
        errors.append(field_error(f"items.{index}.variant_id", message, "missing"))
        return None
    if product.deleted_at is not None or product.status != FOR_SALE:
        message = f"Product {product.id} is not for sale."
        errors.append(field_error(field, message, "not_for_sale"))
        return None
    return variant, product


async def read_addresses(session: AsyncSession, ids: Collection[int]) -> dict[int, Address]:
    if not ids:
        return {}
    found = await session.scalars(select(Address).where(Address.id.in_(ids)))
    return {address.id: address for address in found}


def shipping_copy(
    addresses: Mapping[int, Address], user_id: int, address_id: int | None
) -> dict[str, Any] | None:
    """The copy of the customer's address the order keeps; 422 for another's address."""
    if address_id is None:
        return None
    address = addresses.get(address_id)
    if address is None or address.user_id != user_id:
        message = f"No address {address_id} among yours."
        raise ForeignReference([field_error("address_id", message, "not_yours")])
    return address.shipping_copy()


def held_lines(priced: Sequence[PricedLine]) -> list[StockLine]:
    return [
        StockLine(line.variant.id, line.request.quantity, line.variant.sku, index)
        for index, line in enumerate(priced)
    ]


@dataclass(slots=True)
class Holds:
    """What customers' unpaid orders hold: orders per customer, units per customer and
    product."""

    orders: dict[int, int]
    units: dict[tuple[int, int], int]

    def add(self, user_id: int, priced: Sequence[PricedLine], sign: int = 1) -> None:
        self.orders[user_id] = self.orders.get(user_id, 0) + sign
        for line in priced:
            key = (user_id, line.product.id)
            self.units[key] = self.units.get(key, 0) + sign * line.request.quantity

    def refusal(
        self, limits: HoldLimits, user_id: int, priced: Sequence[PricedLine]
    ) -> HoldLimitReached | None:
        """The refusal of a customer whose counts, their new order included, pass a cap."""
        errors: list[dict[str, str]] = []
        if self.orders.get(user_id, 0) > limits.pending_orders:
            message = f"At most {limits.pending_orders} unpaid orders at a time."
            errors.append(field_error("items", message, "pending_orders_limit"))
        for index, line in enumerate(priced):
            if self.units.get((user_id, line.product.id), 0) > limits.units_per_product:
                message = (
                    f"At most {limits.units_per_product} units of "
                    f"{line.variant.sku or line.product.id} in unpaid orders at a time."
                )
                errors.append(field_error(f"items.{index}.quantity", message, "units_held_limit"))
        return HoldLimitReached(errors) if errors else None


async def lock_customers(session: AsyncSession, user_ids: Collection[int]) -> None:
    """Serialise these customers' checkouts, so the hold caps see every order before theirs:
    PostgreSQL locks their rows in id order, FOR NO KEY UPDATE (the claims and orders written
    for a customer hold key-share locks on the row, which this must not wait for). SQLite's
    single writer does the same by itself, and a read first would turn its write transaction
    into one that cannot wait for the lock."""
    if session.get_bind().dialect.name == "sqlite":
        return
    await session.execute(
        select(User.id)
        .where(User.id.in_(user_ids))
        .order_by(User.id)
        .with_for_update(key_share=True)
    )


async def read_holds(
    session: AsyncSession, user_ids: Collection[int], product_ids: Collection[int]
) -> Holds:
    """The unpaid orders of `user_ids` and the units they hold of `product_ids`."""
    pending = Order.user_id.in_(user_ids), Order.status == OrderStatus.PENDING_PAYMENT
    orders = await session.execute(
        select(Order.user_id, func.count(Order.id)).where(*pending).group_by(Order.user_id)
    )
    units = await session.execute(
        select(Order.user_id, OrderItem.product_id, func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .where(*pending, OrderItem.product_id.in_(product_ids))
        .group_by(Order.user_id, OrderItem.product_id)
    )
    return Holds(
        {int(user): int(count) for user, count in orders if user is not None},
        {
            (int(user), int(product)): int(held or 0)
            for user, product, held in units
            if user is not None
        },
    )


def draft_order(
    user_id: int,
    priced: Sequence[PricedLine],
    *,
    note: str | None,
    shipping_address: dict[str, Any] | None,
    fields: Mapping[str, Any],
    reservation: str,
    now: datetime,
    payment_window: timedelta,
) -> Order:
    """The new order and its lines, as they will be written."""
    return Order(
        user_id=user_id,
        status=OrderStatus.PENDING_PAYMENT,
        currency=priced[0].product.currency,
        total_cents=sum(line.variant.price_cents * line.request.quantity for line in priced),
        source="api",
        note=note,
        shipping_address=shipping_address,
        reservation=reservation,
        expires_at=now + payment_window,
        created_at=now,
        updated_at=now,
        **contract_fields.column_values(fields),
        items=[
            OrderItem(
                product_id=line.product.id,
                variant_id=line.variant.id,
                sku=line.variant.sku,
                title=line.product.title,
                variant_title=line.variant.title,
                quantity=line.request.quantity,
                unit_price_cents=line.variant.price_cents,
                line_total_cents=line.variant.price_cents * line.request.quantity,
                currency=line.product.currency,
                **item_contract_fields.column_values(line.request.fields or {}),
            )
            for line in priced
        ],
    )


def created_body(order: Order) -> dict[str, Any]:
    """The answer to the createOrder that wrote `order`, as recorded for its key."""
    data = ops.CreateOrderData.model_validate(order, from_attributes=True)
    return ok(data).model_dump(mode="json")
