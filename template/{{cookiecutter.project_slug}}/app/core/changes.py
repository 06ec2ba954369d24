"""Changes other systems may follow: an order, a product, or a product's stock level.

Core services call `record(session, entity, entity_id)` inside the transaction that makes the
change, after the write and before the commit. It does nothing unless a module put a listener
on the sessionmaker (`create_sessionmaker(engine, listeners=...)`): the ERP module writes an
outbox row there, which then commits or rolls back with the change itself.

Call it after the row is written: the row lock the write took orders concurrent changes of
one entity, so listeners see them in commit order.

Placing an order is told apart, with the request that placed it: `order_placed(session,
order_id, request)` runs in the order's transaction, once the order and its lines are
written. The commission module reads the order's `channel_code` there; a listener may refuse
the order by raising a `ShopError` (a 422 naming the field), which rolls it back and returns
its stock.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

Entity = Literal["order", "product", "stock"]
ChangeListener = Callable[[AsyncSession, Entity, int], Awaitable[None]]
# The session, the new order's id, and the createOrder body as the contract reads it.
OrderPlacedListener = Callable[[AsyncSession, int, Mapping[str, Any]], Awaitable[None]]
LISTENERS_KEY = "change_listeners"
PLACED_KEY = "order_placed_listeners"


def session_info(
    listeners: Iterable[ChangeListener], placed: Iterable[OrderPlacedListener] = ()
) -> dict[str, object]:
    """The `info` a sessionmaker passes to its sessions so `record` reaches `listeners` and
    `order_placed` reaches `placed`."""
    return {LISTENERS_KEY: tuple(listeners), PLACED_KEY: tuple(placed)}


async def record(session: AsyncSession, entity: Entity, entity_id: int) -> None:
    """Tell the session's listeners that `entity` `entity_id` changed in this transaction."""
    listeners: tuple[ChangeListener, ...] = session.info.get(LISTENERS_KEY, ())
    for listener in listeners:
        await listener(session, entity, entity_id)


async def order_placed(session: AsyncSession, order_id: int, request: Mapping[str, Any]) -> None:
    """Tell the session's listeners that order `order_id` was placed in this transaction,
    from `request`; a listener's `ShopError` refuses the order."""
    listeners: tuple[OrderPlacedListener, ...] = session.info.get(PLACED_KEY, ())
    for listener in listeners:
        await listener(session, order_id, request)
