"""The order state machine: the one table of legal transitions.

    pending_payment ──> paid ──> partially_shipped ──> shipped ──> completed
          │              │              │                 │            │
          │              └──────────────┴────────┬────────┴────────────┘
          │                                      v
          │                       partially_refunded ──> refunded
          │                   (or straight to refunded, from any of them)
          ├──> cancelled
          └──> expired

Every status change goes through `check_transition` and is written with a conditional
`UPDATE ... WHERE status = <the status we saw>`, so a concurrent change makes the write
match nothing instead of silently overwriting it.

A `partially_refunded` order keeps that status while its remaining lines ship and are
received: how far shipping went is its `shipping_status` (unshipped, partially_shipped,
shipped), and receipt sets `completed_at`. The refund is what matters most to the books, so
the status says it.
"""

from collections.abc import Mapping
from enum import StrEnum

from app.core.errors import Code, ShopError


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class ShippingStatus(StrEnum):
    UNSHIPPED = "unshipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"


_REFUNDS = frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED})

TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED}
    ),
    OrderStatus.PAID: frozenset({OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED} | _REFUNDS),
    OrderStatus.PARTIALLY_SHIPPED: frozenset({OrderStatus.SHIPPED} | _REFUNDS),
    OrderStatus.SHIPPED: frozenset({OrderStatus.COMPLETED} | _REFUNDS),
    OrderStatus.COMPLETED: _REFUNDS,
    OrderStatus.PARTIALLY_REFUNDED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

# Statuses whose order still holds reserved stock.
HOLDS_STOCK = frozenset({OrderStatus.PENDING_PAYMENT})
# Paid and not wholly refunded: money can go back, parcels can leave.
REFUNDABLE = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
        OrderStatus.PARTIALLY_REFUNDED,
    }
)
SHIPPABLE = frozenset(
    {OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.PARTIALLY_REFUNDED}
)


class IllegalTransition(ShopError):
    status_code, code, msg = 409, Code.ILLEGAL_TRANSITION, "Illegal state transition"

    def __init__(self, current: str, target: str) -> None:
        message = f"Order is {current} and cannot become {target}"
        error = {"field": "status", "message": message, "type": "illegal_transition"}
        super().__init__(message, data={"errors": [error]})
        self.current = current
        self.target = target


def can_transition(current: str, target: str) -> bool:
    try:
        return OrderStatus(target) in TRANSITIONS[OrderStatus(current)]
    except ValueError:
        return False


def check_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise IllegalTransition(current, target)


def shipping_target(current: str, shipping: ShippingStatus) -> OrderStatus | None:
    """The status a shipment moves an order to, or None when its status stays: a partially
    refunded order only changes its `shipping_status`."""
    if current in (OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED):
        if shipping == ShippingStatus.SHIPPED:
            return OrderStatus.SHIPPED
        if current == OrderStatus.PAID and shipping == ShippingStatus.PARTIALLY_SHIPPED:
            return OrderStatus.PARTIALLY_SHIPPED
    return None
