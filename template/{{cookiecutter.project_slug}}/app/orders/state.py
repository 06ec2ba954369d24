"""The order state machine: the one table of legal transitions.

    pending_payment ──> paid ──> fulfilled
          │              └────> refunded
          ├──> cancelled
          └──> expired

Every status change goes through `check_transition` and is written with a conditional
`UPDATE ... WHERE status = <the status we saw>`, so a concurrent change makes the write
match nothing instead of silently overwriting it.
"""

from collections.abc import Mapping
from enum import StrEnum

from app.core.errors import Code, ShopError


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    FULFILLED = "fulfilled"


TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED}
    ),
    OrderStatus.PAID: frozenset({OrderStatus.REFUNDED, OrderStatus.FULFILLED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
    OrderStatus.FULFILLED: frozenset(),
}

# Statuses whose order still holds reserved stock.
HOLDS_STOCK = frozenset({OrderStatus.PENDING_PAYMENT})


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
