"""Shopify's webhook formats: the signature, money, ids and statuses.

Pure functions, no I/O. The signature is the base64 (not hex: that is the OAuth redirect's
`hmac`) HMAC-SHA256 of the raw body, keyed with the app's client secret. Money arrives as
decimal strings and becomes integer minor units through `Decimal`, never `float`; ids are
64-bit and many exceed 2^53, so the JSON is read with Python's exact `int` and ids leave
this module as strings.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.orders.state import OrderStatus

# ISO 4217 minor-unit exponents other than 2.
_EXPONENTS: Mapping[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}

FINANCIAL_STATUSES: Mapping[str, OrderStatus] = {
    "pending": OrderStatus.PENDING_PAYMENT,
    "authorized": OrderStatus.PENDING_PAYMENT,
    "partially_paid": OrderStatus.PENDING_PAYMENT,
    "paid": OrderStatus.PAID,
    "partially_refunded": OrderStatus.PARTIALLY_REFUNDED,
    "refunded": OrderStatus.REFUNDED,
    "voided": OrderStatus.CANCELLED,
    "expired": OrderStatus.CANCELLED,
}

ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/paid", "orders/cancelled"})


def header(headers: Mapping[str, str], name: str) -> str | None:
    """`X-Shopify-<name>`, or `Shopify-<name>` as event-bus deliveries send it."""
    return headers.get(f"x-shopify-{name}") or headers.get(f"shopify-{name}")


def signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(secret: str, body: bytes, received: str | None) -> bool:
    """Constant-time check of `X-Shopify-Hmac-Sha256` over the raw body."""
    if not received:
        return False
    try:
        given = base64.b64decode(received.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, given)


def parse(body: bytes) -> dict[str, Any]:
    """The payload, with decimals as `Decimal` and integers exact."""
    data = json.loads(body, parse_float=Decimal)
    if not isinstance(data, dict):
        raise ValueError("payload is not a JSON object")
    return data


def minor_units(amount: object, currency: str) -> int:
    """`"19.99"` USD → 1999, `"1500"` JPY → 1500; refuses anything that is not exact."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(f"amount {amount!r} is not a decimal") from None
    scaled = value.scaleb(_EXPONENTS.get(currency.upper(), 2))
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise ValueError(f"amount {amount!r} has more digits than {currency} allows")
    return int(scaled)


def timestamp(value: object) -> datetime:
    """ISO 8601 with an offset → aware UTC."""
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no offset")
    return parsed.astimezone(UTC)


def external_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(f"id {value!r} is not a Shopify id")
    return str(value)


@dataclass(frozen=True, slots=True)
class ShopifyLine:
    sku: str | None
    variant_id: int | None
    title: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True, slots=True)
class ShopifyOrder:
    external_id: str
    status: OrderStatus
    total_cents: int
    currency: str
    updated_at: datetime
    lines: tuple[ShopifyLine, ...]


def order_status(topic: str, payload: Mapping[str, Any]) -> OrderStatus:
    if topic == "orders/cancelled" or payload.get("cancelled_at"):
        if payload.get("financial_status") == "refunded":
            return OrderStatus.REFUNDED
        return OrderStatus.CANCELLED
    if topic == "orders/paid":
        return OrderStatus.PAID
    financial = str(payload.get("financial_status") or "pending")
    return FINANCIAL_STATUSES.get(financial, OrderStatus.PENDING_PAYMENT)


def order(topic: str, payload: Mapping[str, Any]) -> ShopifyOrder:
    """An `orders/*` payload as the local order it mirrors."""
    currency = str(payload["currency"]).upper()
    lines = tuple(
        ShopifyLine(
            sku=str(item["sku"]) if item.get("sku") else None,
            variant_id=int(item["variant_id"]) if item.get("variant_id") is not None else None,
            title=str(item.get("title") or item.get("name") or ""),
            quantity=int(item["quantity"]),
            unit_price_cents=minor_units(item["price"], currency),
        )
        for item in payload.get("line_items") or ()
    )
    return ShopifyOrder(
        external_id=external_id(payload["id"]),
        status=order_status(topic, payload),
        total_cents=minor_units(payload["total_price"], currency),
        currency=currency,
        updated_at=timestamp(payload.get("updated_at") or payload["created_at"]),
        lines=lines,
    )


def refunded_cents(payload: Mapping[str, Any], currency: str) -> int:
    """What a `refunds/create` gave back: its successful refund transactions."""
    return sum(
        minor_units(t["amount"], currency)
        for t in payload.get("transactions") or ()
        if t.get("kind") == "refund" and t.get("status") == "success"
    )
