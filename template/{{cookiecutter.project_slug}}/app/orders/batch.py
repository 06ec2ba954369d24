"""Orders placed together: group commit for createOrder on PostgreSQL.

Under load an order costs little work and many round trips: claim the key, read the
catalogue, lock the customer, take the stock, write the order and its lines, count the
customer's holds, record the answer, commit. Placed one at a time, each order pays all of them.
Here the orders that arrive while one transaction commits wait and go in the next one, and the
round trips are paid once per transaction: one insert of the claims, one read of the
catalogue, one lock of the customers and one of the variants (both in id order), one count of
the holds, one update of the stock, one insert of the orders and one of their lines, one update
of the recorded answers, one commit.

Every order keeps what `OrderService.place` gives it alone: its key claimed and answered in
the transaction that writes it; its customer's hold caps, counted with the orders before it
in the same transaction; its stock reserved in Redis, then counted on the locked rows and taken
from them exactly once; and its own answer. An order refused for its own reasons (not for
sale, out of stock, a hold cap) is answered, and its answer recorded, alone: the others go on.
A key the database already has (a retry, or the same key in flight elsewhere) leaves the batch
(`PlaceAlone`) and is answered the way one order is: replayed, refused, or taken over.

Used where it pays and is safe: PostgreSQL (SQLite writes one transaction at a time anyway),
and no module listening for placed orders (a listener may refuse one order, which would roll
back its batch).
"""

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import changes
from app.core.db import utcnow
from app.core.errors import ShopError
from app.orders import pricing
from app.orders.idempotency import Answer, Claim, IdempotencyKeys, error_body
from app.products.cache import ProductCache
from app.stock import ledger
from app.stock.backend import OutOfStock, RedisStockBackend, StockBackend, StockLine

logger = logging.getLogger(__name__)

Outcome = Answer | Exception


class PlaceAlone(Exception):
    """The order's key is in the database already: place it the way one order is placed."""


@dataclass(frozen=True, slots=True)
class Placing:
    """A createOrder waiting for its batch."""

    user_id: int
    lines: Sequence[pricing.LineRequest]
    note: str | None
    address_id: int | None
    fields: Mapping[str, Any]
    key: str
    fingerprint: str
    stock: StockBackend  # the request's: where its units are reserved


@dataclass(slots=True, eq=False)
class _Draft:
    """An order of the batch, priced, on its way to be written."""

    index: int
    placing: Placing
    claim: Claim
    priced: list[pricing.PricedLine]
    shipping_address: dict[str, Any] | None
    # Read while the catalogue's rows are loaded: a rollback expires them.
    held: list[StockLine] = field(init=False)
    reservation: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        self.held = pricing.held_lines(self.priced)


class OrderBatches:
    """The orders waiting in this process, and the one transaction placing some of them."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        payment_window: timedelta,
        idempotency_ttl: timedelta,
        hold_limits: pricing.HoldLimits,
        product_cache: ProductCache | None = None,
        limit: int = 64,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._payment_window = payment_window
        self._idempotency_ttl = idempotency_ttl
        self._hold_limits = hold_limits
        self._product_cache = product_cache
        self._limit = limit
        self._waiting: list[tuple[Placing, asyncio.Future[Answer]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def place(self, placing: Placing) -> Answer:
        """The answer once the order's transaction committed; raises the order's refusal
        (recorded for its key), `PlaceAlone`, or what failed the whole transaction."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((placing, future))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain(), name="order-batches")
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                await self._commit(self._next_batch())
        finally:
            self._drainer = None

    def _next_batch(self) -> list[tuple[Placing, asyncio.Future[Answer]]]:
        """Up to `limit` waiting orders, one per key: a repeated key waits for the next."""
        batch: list[tuple[Placing, asyncio.Future[Answer]]] = []
        later: list[tuple[Placing, asyncio.Future[Answer]]] = []
        keys: set[tuple[int, str]] = set()
        for waiting in self._waiting:
            placing, future = waiting
            if future.done():
                continue  # its request went away; nothing was written for it yet
            key = (placing.user_id, placing.key)
            if key in keys or len(batch) >= self._limit:
                later.append(waiting)
            else:
                keys.add(key)
                batch.append(waiting)
        self._waiting = later
        return batch

    async def _commit(self, batch: Sequence[tuple[Placing, asyncio.Future[Answer]]]) -> None:
        try:
            async with self._sessionmaker() as session:
                outcomes = await self._place(session, [placing for placing, _ in batch])
        except Exception as error:
            if len(batch) == 1:
                outcomes = [error]
            else:
                # Nothing of it was written: each order is tried again alone, so whatever
                # failed the batch fails only the order it belongs to.
                logger.warning(
                    "a batch of %d orders failed (%r); placing each alone", len(batch), error
                )
                outcomes = [PlaceAlone() for _ in batch]
        except BaseException:
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, Answer):
                future.set_result(outcome)
            else:
                future.set_exception(outcome)

    async def _place(self, session: AsyncSession, placings: Sequence[Placing]) -> list[Outcome]:
        keys = IdempotencyKeys(session, self._idempotency_ttl)
        outcomes: list[Outcome] = [PlaceAlone() for _ in placings]
        refused: list[tuple[Claim, ShopError]] = []
        claims = await keys.claim_together([(p.user_id, p.key, p.fingerprint) for p in placings])
        live = [
            (index, placing, claim)
            for index, (placing, claim) in enumerate(zip(placings, claims, strict=True))
            if claim is not None
        ]
        catalogue = await pricing.read_catalogue(
            session, (line for _, placing, _ in live for line in placing.lines)
        )
        addresses = await pricing.read_addresses(
            session, {p.address_id for _, p, _ in live if p.address_id is not None}
        )
        drafts: list[_Draft] = []
        for index, placing, claim in live:
            try:
                priced = pricing.price(placing.lines, catalogue)
                shipping = pricing.shipping_copy(addresses, placing.user_id, placing.address_id)
            except ShopError as error:
                outcomes[index] = error
                refused.append((claim, error))
                continue
            drafts.append(_Draft(index, placing, claim, priced, shipping))
        reserved = await self._reserve(drafts, outcomes, refused)
        try:
            placed = await self._write(session, reserved, outcomes, refused)
            await keys.record_together(
                [(claim, Answer(e.status_code, error_body(e))) for claim, e in refused]
                + [(draft.claim, answer) for draft, answer in placed]
            )
            await keys.forget([claim for claim, error in refused if error.status_code >= 500])
            await session.commit()
        except BaseException:
            await session.rollback()
            await self._release(reserved)
            raise
        written = {draft for draft, _ in placed}
        await self._release([draft for draft in reserved if draft not in written])
        if placed and self._product_cache is not None:
            # Product reads show stock: this process's cache must not keep the old counts.
            self._product_cache.clear()
        return outcomes

    async def _reserve(
        self,
        drafts: Sequence[_Draft],
        outcomes: list[Outcome],
        refused: list[tuple[Claim, ShopError]],
    ) -> list[_Draft]:
        """Hold each draft's stock in the stock backend; the drafts that hold it."""
        results: list[BaseException | None] = [None] * len(drafts)
        by_backend: dict[int, list[int]] = {}
        for position, draft in enumerate(drafts):
            by_backend.setdefault(id(draft.placing.stock), []).append(position)
        for positions in by_backend.values():
            stock = drafts[positions[0]].placing.stock
            orders = [(drafts[p].reservation, drafts[p].held) for p in positions]
            if isinstance(stock, RedisStockBackend):
                outcomes_of: Sequence[BaseException | None] = await stock.reserve_all(orders)
            else:
                outcomes_of = await asyncio.gather(
                    *(stock.reserve(*order) for order in orders), return_exceptions=True
                )
            for position, outcome in zip(positions, outcomes_of, strict=True):
                results[position] = outcome
        reserved: list[_Draft] = []
        failure: BaseException | None = None
        for draft, result in zip(drafts, results, strict=True):
            if isinstance(result, ShopError):  # out of stock, or Redis down
                outcomes[draft.index] = result
                refused.append((draft.claim, result))
            elif isinstance(result, BaseException):
                failure = failure or result
            else:
                reserved.append(draft)
        if failure is not None:
            await self._release(reserved)
            raise failure
        return reserved

    async def _release(self, drafts: Sequence[_Draft]) -> None:
        for draft in drafts:
            await draft.placing.stock.release(draft.reservation, draft.held)

    async def _write(
        self,
        session: AsyncSession,
        drafts: Sequence[_Draft],
        outcomes: list[Outcome],
        refused: list[tuple[Claim, ShopError]],
    ) -> list[tuple[_Draft, Answer]]:
        """Lock, count and write the drafts that may be placed; those, with their answers."""
        if not drafts:
            return []
        users = {draft.placing.user_id for draft in drafts}
        await pricing.lock_customers(session, users)
        counts = await ledger.lock(
            session, {line.variant_id for draft in drafts for line in draft.held}
        )
        product_ids = {line.product.id for draft in drafts for line in draft.priced}
        holds = await pricing.read_holds(session, users, product_ids)
        placed: list[_Draft] = []
        for draft in drafts:  # in arrival order
            refusal = self._refusal(draft, counts, holds)
            if refusal is None:
                placed.append(draft)
            else:
                outcomes[draft.index] = refusal
                refused.append((draft.claim, refusal))
        if not placed:
            return []
        now = utcnow()
        orders = [
            pricing.draft_order(
                draft.placing.user_id,
                draft.priced,
                note=draft.placing.note,
                shipping_address=draft.shipping_address,
                fields=draft.placing.fields,
                reservation=draft.reservation,
                now=now,
                payment_window=self._payment_window,
            )
            for draft in placed
        ]
        session.add_all(orders)
        taken: dict[int, int] = {}
        for draft in placed:
            for line in draft.held:
                taken[line.variant_id] = taken.get(line.variant_id, 0) + line.quantity
        await ledger.take_counted(session, taken)
        await session.flush()
        answers: list[tuple[_Draft, Answer]] = []
        for draft, order in zip(placed, orders, strict=True):
            await changes.record(session, "order", order.id)
            answer = Answer(201, pricing.created_body(order))
            outcomes[draft.index] = answer
            answers.append((draft, answer))
        return answers

    def _refusal(
        self, draft: _Draft, counts: dict[int, int], holds: pricing.Holds
    ) -> ShopError | None:
        """Why the draft cannot be placed after the ones before it; None when it can, and
        then its units and hold are counted."""
        for line in draft.held:
            available = counts.get(line.variant_id, 0)
            if available < line.quantity:
                return OutOfStock(line, max(available, 0))
        user_id = draft.placing.user_id
        holds.add(user_id, draft.priced)
        refusal = holds.refusal(self._hold_limits, user_id, draft.priced)
        if refusal is not None:
            holds.add(user_id, draft.priced, -1)
            return refusal
        for line in draft.held:
            counts[line.variant_id] -= line.quantity
        return None
