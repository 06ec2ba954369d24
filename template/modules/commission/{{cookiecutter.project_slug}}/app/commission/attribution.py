"""Which channel an order was sold through: read from `channel_code` when the order is placed
(an order placement listener), and kept in step with the order's later changes (a change
listener), both in the order's own transaction."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.commission.cache import ConfigCache
from app.commission.models import CommissionAttribution, CommissionChannel
from app.core.changes import Entity
from app.core.errors import Code, ShopError
from app.orders.models import Order

FIELD = "channel_code"


class UnknownChannel(ShopError):
    """`channel_code` names no active channel: 422 like any invalid field."""

    status_code, code, msg = 422, Code.VALIDATION_FAILED, "Validation failed"

    def __init__(self, channel_code: str) -> None:
        error = {
            "field": FIELD,
            "message": f"No active channel has the code `{channel_code}`.",
            "type": "unknown_channel",
        }
        super().__init__(data={"errors": [error]})


async def _chain_in_database(session: AsyncSession, channel: CommissionChannel) -> list[int]:
    chain = [channel.id]
    parent = channel.parent_id
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = await session.scalar(
            select(CommissionChannel.parent_id).where(CommissionChannel.id == parent)
        )
    return chain


def attributor(
    cache: Callable[[], ConfigCache],
) -> Callable[[AsyncSession, int, Mapping[str, Any]], Awaitable[None]]:
    """The order placement listener; `cache` gives the app's configuration cache."""

    async def attribute(session: AsyncSession, order_id: int, request: Mapping[str, Any]) -> None:
        code = request.get(FIELD)
        if not code:
            return
        snapshot = await cache().get()
        known = snapshot.by_code(str(code))
        if known is not None and known.active:
            channel_id, chain = known.id, snapshot.chain(known.id)
        else:
            # A channel made or changed a moment ago may not be cached yet: the database
            # decides before the order is refused.
            row = await session.scalar(
                select(CommissionChannel).where(CommissionChannel.code == str(code))
            )
            if row is None or not row.active:
                raise UnknownChannel(str(code))
            channel_id, chain = row.id, await _chain_in_database(session, row)
        order = await session.get(Order, order_id)
        assert order is not None, "the order is written before its listeners run"
        session.add(
            CommissionAttribution(
                order_id=order_id,
                channel_id=channel_id,
                chain=chain,
                placed_at=order.created_at,
                state="open",
                updated_at=order.created_at,
            )
        )

    return attribute


async def mark_changed(session: AsyncSession, entity: Entity, entity_id: int) -> None:
    """The change listener: an attributed order changed (a refund, say); settlement looks
    at it again."""
    if entity != "order":
        return
    await session.execute(
        update(CommissionAttribution)
        .where(CommissionAttribution.order_id == entity_id)
        .values(review_due=True, changes=CommissionAttribution.changes + 1)
        .execution_options(synchronize_session=False)
    )
