"""Changes other systems may follow: an order, a product, or a product's stock level.

Core services call `record(session, entity, entity_id)` inside the transaction that makes the
change, after the write and before the commit. It does nothing unless a module put a listener
on the sessionmaker (`create_sessionmaker(engine, listeners=...)`): the ERP module writes an
outbox row there, which then commits or rolls back with the change itself.

Call it after the row is written: the row lock the write took orders concurrent changes of
one entity, so listeners see them in commit order.
"""

from collections.abc import Awaitable, Callable, Iterable
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

Entity = Literal["order", "product", "stock"]
ChangeListener = Callable[[AsyncSession, Entity, int], Awaitable[None]]
LISTENERS_KEY = "change_listeners"


def session_info(listeners: Iterable[ChangeListener]) -> dict[str, object]:
    """The `info` a sessionmaker passes to its sessions so `record` reaches `listeners`."""
    return {LISTENERS_KEY: tuple(listeners)}


async def record(session: AsyncSession, entity: Entity, entity_id: int) -> None:
    """Tell the session's listeners that `entity` `entity_id` changed in this transaction."""
    listeners: tuple[ChangeListener, ...] = session.info.get(LISTENERS_KEY, ())
    for listener in listeners:
        await listener(session, entity, entity_id)
