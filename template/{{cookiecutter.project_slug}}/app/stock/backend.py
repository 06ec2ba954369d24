"""Where an order's stock is reserved before the database takes it.

Every order transaction takes its stock with a conditional `UPDATE ... WHERE stock >= :n`
(`app/stock/ledger.py`): the database is the source of truth and nothing can oversell past
it. A `StockBackend` decides what runs *before* that transaction:

- `RedisStockBackend` answers a rush from Redis: one Lua script per variant checks the order's
  reservation key, checks the count, decrements it and records the reservation, atomically.
  Buyers who cannot get stock are turned away without touching the database.
- `DatabaseStockBackend` adds nothing: the conditional UPDATE is the only gate. It is what
  runs without `REDIS_URL`.

`create_app()` picks one; services never ask which.
"""

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from redis.asyncio import RedisCluster
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from app.core.db import utcnow
from app.core.errors import Code, ShopError, Unavailable
from app.core.locks import try_lock
from app.core.redis import RedisClient
from app.orders.models import IdempotencyRecord, Order
from app.orders.state import HOLDS_STOCK
from app.products.models import Product, ProductVariant

logger = logging.getLogger(__name__)

RedisDownPolicy = Literal["fail_closed", "database"]
RETRY_AFTER_SECONDS = 2
WARM_LOCK_TTL_MS = 30_000
# Set once Redis holds every count and reservation; gone after Redis restarts empty.
EPOCH_KEY = "stock:epoch"
EPOCH_WAIT_SECONDS = 2.0
# The mark of an Idempotency-Key whose request went on to the database (app/orders/sold_out.py).
MARK_ON_DATABASE = b"db"
MARK_BATCH = 1000

# KEYS: stock:{v<id>}, resv:{v<id>}:<reservation>. ARGV: quantity, reservation TTL in seconds.
# -1: no stock key (warm it from the database, try again); 2: this reservation exists, nothing
# changes; 0: not enough stock, nothing changes; 1: reserved.
RESERVE = """
local qty = tonumber(ARGV[1])
if not qty or qty <= 0 or qty ~= math.floor(qty) then
    return redis.error_reply('quantity must be a positive integer')
end
local stock = redis.call('GET', KEYS[1])
if not stock then
    return -1
end
if redis.call('EXISTS', KEYS[2]) == 1 then
    return 2
end
if tonumber(stock) < qty then
    return 0
end
redis.call('DECRBY', KEYS[1], qty)
redis.call('SET', KEYS[2], qty, 'EX', ARGV[2])
return 1
"""

# KEYS: stock:{v<id>}, resv:{v<id>}:<reservation>. Returns the quantity put back, or 0 when
# the reservation is gone (released before, paid, or expired): stock returns once at most.
RELEASE = """
local qty = redis.call('GET', KEYS[2])
if not qty then
    return 0
end
redis.call('DEL', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
    return 0
end
redis.call('INCRBY', KEYS[1], qty)
return tonumber(qty)
"""

# KEYS: stock:{v<id>}, rstk:{v<id>}:<token>. ARGV: quantity, marker TTL in seconds. Units
# that came back outside an order (a refund that restocks) are added once per token: a
# repeated call finds the marker and adds nothing. Without a count there is nothing to add
# to; the next warm-up reads the database, which has them.
RESTOCK = """
if redis.call('EXISTS', KEYS[2]) == 1 then
    return 0
end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
    return 0
end
redis.call('INCRBY', KEYS[1], ARGV[1])
return tonumber(ARGV[1])
"""

# KEYS: stock:{v<id>}. ARGV: the count we saw, the count to write. Rewrites drift only if
# nothing moved the count since we read it.
COMPARE_AND_SET = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2])
    return 1
end
return 0
"""


RESTOCK_MARK_TTL = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class StockLine:
    """One variant of an order and how many units; `index` is its line in the request."""

    variant_id: int
    quantity: int
    sku: str = ""
    index: int = 0


class OutOfStock(ShopError):
    status_code, code, msg = 409, Code.OUT_OF_STOCK, "Out of stock"

    def __init__(self, line: StockLine, available: int | None = None) -> None:
        if available is None:
            message = f"Not enough stock of {line.sku or line.variant_id}."
        else:
            unit = "unit" if available == 1 else "units"
            message = f"Only {available} {unit} of {line.sku or line.variant_id} left."
        error = {
            "field": f"items.{line.index}.quantity",
            "message": message,
            "type": "out_of_stock",
        }
        super().__init__(data={"errors": [error]})
        self.line = line
        self.available = available


class StockUnavailable(Unavailable):
    code, msg = Code.UNAVAILABLE, "Stock backend unavailable"

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class StockBackend(Protocol):
    async def reserve(self, reservation: str, lines: Sequence[StockLine]) -> None:
        """Hold stock for an order about to be written; raises `OutOfStock` or
        `StockUnavailable` and then holds nothing. Idempotent per reservation."""

    async def release(self, reservation: str, lines: Sequence[StockLine]) -> None:
        """Give a reservation's stock back, at most once; never raises."""

    async def confirm(self, reservation: str, lines: Sequence[StockLine]) -> None:
        """The order was paid: its stock stays sold and the reservation is dropped."""

    async def restock(self, token: str, lines: Sequence[StockLine]) -> None:
        """Units came back outside an order (a refund that restocks): add them once per
        token, after the database has them; never raises."""

    async def set_level(self, variant_id: int, stock: int) -> None:
        """The database's count of a variant changed outside an order (admin, Shopify)."""

    async def warm(self) -> int:
        """Load counts the backend lacks from the database; returns how many."""

    async def reconcile(self) -> int:
        """Rewrite counts that disagreed with the database on two runs; returns how many."""


class DatabaseStockBackend:
    """No gate in front of the database: its conditional UPDATE decides alone."""

    async def reserve(self, reservation: str, lines: Sequence[StockLine]) -> None:
        return None

    async def release(self, reservation: str, lines: Sequence[StockLine]) -> None:
        return None

    async def confirm(self, reservation: str, lines: Sequence[StockLine]) -> None:
        return None

    async def restock(self, token: str, lines: Sequence[StockLine]) -> None:
        return None

    async def set_level(self, variant_id: int, stock: int) -> None:
        return None

    async def warm(self) -> int:
        return 0

    async def reconcile(self) -> int:
        return 0


def _tag(variant_id: int) -> str:
    # The braces are a Redis Cluster hash tag: a variant's keys share one slot, so one
    # script can touch them all. The `v` keeps variant counts apart from the per-product
    # counts of projects made before variants existed.
    return "{v" + str(variant_id) + "}"


def stock_key(variant_id: int) -> str:
    return "stock:" + _tag(variant_id)


def reservation_key(variant_id: int, reservation: str) -> str:
    return "resv:" + _tag(variant_id) + ":" + reservation


def restock_key(variant_id: int, token: str) -> str:
    return "rstk:" + _tag(variant_id) + ":" + token


def idempotency_mark_key(user_id: int, key: str) -> str:
    return "idem:{" + str(user_id) + "}:" + hashlib.sha256(key.encode()).hexdigest()[:32]


class RedisStockBackend:
    """Counts in Redis, kept equal to `product_variants.stock`: an order takes stock from
    both, a cancellation, expiry or restocking refund gives it back to both.

    Redis failing: with `fail_closed` a reservation raises `StockUnavailable` (503) and no
    order is written; with `database` the database's UPDATE decides alone until Redis is back.
    Either way each call tries Redis afresh, so service resumes by itself.
    """

    def __init__(
        self,
        redis: RedisClient,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        reservation_ttl: int,
        down_policy: RedisDownPolicy = "fail_closed",
    ) -> None:
        self._redis = redis
        self._sessionmaker = sessionmaker
        self._ttl = reservation_ttl
        self._down_policy = down_policy
        self._reserve = redis.register_script(RESERVE)
        self._release = redis.register_script(RELEASE)
        self._restock = redis.register_script(RESTOCK)
        self._compare_and_set = redis.register_script(COMPARE_AND_SET)
        self._drift: dict[int, tuple[int, int]] = {}

    async def reserve(self, reservation: str, lines: Sequence[StockLine]) -> None:
        held: list[StockLine] = []
        try:
            await self._ensure_epoch()
            # One variant at a time, in id order: each script stays in one Cluster slot.
            for line in sorted(lines, key=lambda line: line.variant_id):
                if not await self._reserve_line(reservation, line):
                    raise OutOfStock(line, await self._count(line.variant_id))
                held.append(line)
        except OutOfStock:
            await self.release(reservation, held)
            raise
        except (RedisError, OSError) as error:
            await self.release(reservation, held)
            if self._down_policy == "database":
                logger.warning("Redis is down (%s); the database alone gates stock", error)
                return
            logger.warning("Redis is down (%s); refusing orders until it is back", error)
            raise StockUnavailable() from error

    async def reserve_all(
        self, orders: Sequence[tuple[str, Sequence[StockLine]]]
    ) -> list[ShopError | None]:
        """`reserve` for several orders at once: for each, None when it holds its stock, or
        what `reserve` would raise (and it holds nothing). On one Redis server, every line of
        every order goes in one round trip; a Cluster takes them one order at a time."""
        if isinstance(self._redis, RedisCluster) or len(orders) < 2:
            return list(await asyncio.gather(*(self._outcome(*order) for order in orders)))
        try:
            await self._ensure_epoch()
            async with self._redis.pipeline(transaction=False) as pipe:
                for reservation, lines in orders:
                    for line in lines:
                        keys = [
                            stock_key(line.variant_id),
                            reservation_key(line.variant_id, reservation),
                        ]
                        await self._reserve(keys=keys, args=[line.quantity, self._ttl], client=pipe)
                results = iter(await pipe.execute())
        except (RedisError, OSError):
            # Each order alone: it answers for Redis being down as `reserve` does.
            return list(await asyncio.gather(*(self._outcome(*order) for order in orders)))
        outcomes: list[ShopError | None] = []
        for reservation, lines in orders:
            held = [(line, int(next(results))) for line in lines]
            if all(result in (1, 2) for _, result in held):
                outcomes.append(None)
                continue
            # Short, or a count Redis lacks: give back what was held, then as `reserve` does.
            await self.release(reservation, [line for line, result in held if result == 1])
            outcomes.append(await self._outcome(reservation, lines))
        return outcomes

    async def _outcome(self, reservation: str, lines: Sequence[StockLine]) -> ShopError | None:
        try:
            await self.reserve(reservation, lines)
        except ShopError as refusal:
            return refusal
        return None

    async def _reserve_line(self, reservation: str, line: StockLine) -> bool:
        keys = [stock_key(line.variant_id), reservation_key(line.variant_id, reservation)]
        args = [line.quantity, self._ttl]
        result = int(await self._reserve(keys=keys, args=args))
        if result == -1:
            await self._warm_variants([line.variant_id])
            result = int(await self._reserve(keys=keys, args=args))
        return result in (1, 2)

    async def _count(self, variant_id: int) -> int | None:
        try:
            value = await self._redis.get(stock_key(variant_id))
        except (RedisError, OSError):
            return None
        return max(int(value), 0) if value is not None else None

    async def release(self, reservation: str, lines: Sequence[StockLine]) -> None:
        for line in lines:
            keys = [stock_key(line.variant_id), reservation_key(line.variant_id, reservation)]
            try:
                await self._release(keys=keys)
            except (RedisError, OSError) as error:
                # The database has the stock back; reconcile() brings the count up later.
                logger.warning("could not release %s in Redis: %s", keys[1], error)

    async def confirm(self, reservation: str, lines: Sequence[StockLine]) -> None:
        for line in lines:
            key = reservation_key(line.variant_id, reservation)
            try:
                await self._redis.delete(key)
            except (RedisError, OSError) as error:
                logger.warning("could not drop %s (its TTL will): %s", key, error)

    async def restock(self, token: str, lines: Sequence[StockLine]) -> None:
        for line in lines:
            keys = [stock_key(line.variant_id), restock_key(line.variant_id, token)]
            try:
                await self._restock(keys=keys, args=[line.quantity, RESTOCK_MARK_TTL])
            except (RedisError, OSError) as error:
                # The database has the units; reconcile() brings the count up later.
                logger.warning("could not restock %s in Redis: %s", keys[0], error)

    async def set_level(self, variant_id: int, stock: int) -> None:
        try:
            await self._redis.set(stock_key(variant_id), stock)
        except (RedisError, OSError) as error:
            logger.warning("could not set stock of variant %s in Redis: %s", variant_id, error)

    async def _database_counts(self, variant_ids: Iterable[int] | None = None) -> dict[int, int]:
        query = (
            select(ProductVariant.id, ProductVariant.stock)
            .join(Product, Product.id == ProductVariant.product_id)
            .where(ProductVariant.deleted_at.is_(None), Product.deleted_at.is_(None))
        )
        if variant_ids is not None:
            query = query.where(ProductVariant.id.in_(list(variant_ids)))
        async with self._sessionmaker() as session:
            rows = await session.execute(query)
            return {row[0]: row[1] for row in rows}

    async def _warm_variants(self, variant_ids: Iterable[int] | None) -> int:
        counts = await self._database_counts(variant_ids)
        async with self._redis.pipeline(transaction=False) as pipe:
            for variant_id, stock in counts.items():
                pipe.set(stock_key(variant_id), stock, nx=True)
            written = await pipe.execute()
        return sum(1 for ok in written if ok)

    async def warm(self) -> int:
        """Copy every count Redis lacks from the database (`SET NX`: a count already there,
        perhaps moved by an order, stays) and every reservation of an unpaid order, then mark
        the epoch; under a lock so workers do not all do it. Returns the counts written."""
        async with try_lock(self._redis, "stock:warm", WARM_LOCK_TTL_MS) as locked:
            if not locked:
                return 0
            warmed = await self._warm_variants(None)
            await self._restore_reservations()
            await self._restore_idempotency_marks()
            await self._redis.set(EPOCH_KEY, uuid.uuid4().hex)
            return warmed

    async def _ensure_epoch(self) -> None:
        """Redis restarted empty (or was flushed) since the counts were loaded: the
        reservations of unpaid orders went with it, so their cancellations would give nothing
        back and the counts would stay too low. Seen on first use, and everything is loaded
        again before this reservation goes on."""
        if await self._redis.exists(EPOCH_KEY):
            return
        logger.warning("Redis has no stock epoch (restarted empty?); reloading counts")
        if await self.warm():
            return
        deadline = asyncio.get_running_loop().time() + EPOCH_WAIT_SECONDS
        while not await self._redis.exists(EPOCH_KEY):  # another worker is reloading
            if asyncio.get_running_loop().time() > deadline:
                raise StockUnavailable()
            await asyncio.sleep(0.05)

    async def _restore_reservations(self) -> None:
        async with self._sessionmaker() as session:
            orders = await session.scalars(
                select(Order)
                .options(selectinload(Order.items))
                .where(Order.status.in_(list(HOLDS_STOCK)), Order.reservation.is_not(None))
            )
            holds = [
                (reservation_key(item.variant_id, order.reservation), item.quantity)
                for order in orders
                if order.reservation
                for item in order.items
                if item.variant_id is not None
            ]
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, quantity in holds:
                pipe.set(key, quantity, ex=self._ttl, nx=True)
            await pipe.execute()

    async def _restore_idempotency_marks(self) -> None:
        """Mark every Idempotency-Key the database keeps, so none of them is answered
        "sold out" from Redis instead of being replayed."""
        now = utcnow()
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(
                    IdempotencyRecord.user_id, IdempotencyRecord.key, IdempotencyRecord.expires_at
                ).where(IdempotencyRecord.expires_at > now)
            )
            marks = [
                (idempotency_mark_key(user_id, key), expires_at - now)
                for user_id, key, expires_at in rows
            ]
        for start in range(0, len(marks), MARK_BATCH):
            async with self._redis.pipeline(transaction=False) as pipe:
                for mark, left in marks[start : start + MARK_BATCH]:
                    expiry = max(int(left.total_seconds() * 1000), 1)
                    pipe.set(mark, MARK_ON_DATABASE, nx=True, px=expiry)
                await pipe.execute()

    async def reconcile(self) -> int:
        """Fix counts that differ from the database the same way on two runs in a row.

        A difference seen once may be an order between its reservation and its commit; one
        that persists is drift (a release lost while Redis was down, a restart, an admin
        edit), and the database wins.
        """
        counts = await self._database_counts()
        ids = list(counts)
        async with self._redis.pipeline(transaction=False) as pipe:
            for variant_id in ids:
                pipe.get(stock_key(variant_id))
            values = await pipe.execute()
        drift: dict[int, tuple[int, int]] = {}
        missing: list[int] = []
        for variant_id, value in zip(ids, values, strict=True):
            if value is None:
                missing.append(variant_id)
            elif int(value) != counts[variant_id]:
                drift[variant_id] = (int(value), counts[variant_id])
        fixed = await self._warm_variants(missing) if missing else 0
        for variant_id, (seen, truth) in drift.items():
            if self._drift.get(variant_id) == (seen, truth):
                key = stock_key(variant_id)
                if await self._compare_and_set(keys=[key], args=[seen, truth]):
                    logger.info("stock of variant %s drifted (%s != %s)", variant_id, seen, truth)
                    fixed += 1
        self._drift = drift
        return fixed


def create_stock_backend(
    redis: RedisClient | None,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    reservation_ttl: int,
    down_policy: RedisDownPolicy,
) -> StockBackend:
    """Redis in front of the database when there is a Redis; the database alone otherwise."""
    if redis is None:
        return DatabaseStockBackend()
    return RedisStockBackend(
        redis, sessionmaker, reservation_ttl=reservation_ttl, down_policy=down_policy
    )
