"""Sold-out answers from Redis, before any database work.

In a flash sale almost every buyer arrives after the last unit went, and each of them would
otherwise claim an idempotency key, read the products and commit, all to be told "out of
stock". With Redis counting stock, one round trip tells: it marks the request's
`Idempotency-Key` as seen (`SET NX`, kept as long as the database keeps keys) and reads the
count of every line. A line whose count is short is refused there, and the refusal is kept
in the mark, so a retry with the same key gets the same answer as the database path would
give it, and the same key with another body is still a 422.

The mark is what keeps idempotency whole: a key that went on to the database is marked
before its claim, so no later request with that key is refused here; it reaches the database
and gets its recorded answer. That holds while Redis holds the marks:

- only with `REDIS_DOWN_POLICY=fail_closed` (the default), where no order is written while
  Redis cannot mark it (this gate answers 503 then, as the reservation would);
- only while Redis keeps the stock epoch: after Redis restarts empty, requests go to the
  database until the stock is loaded again, and loading it marks every key the database
  still keeps (`RedisStockBackend.warm`). Redis must not evict keys (`noeviction`, its
  default), for the stock counts as much as for these marks.
"""

import json
import logging
from collections.abc import Sequence
from datetime import timedelta

from redis.exceptions import RedisError

from app.core.redis import RedisClient
from app.orders.idempotency import Answer, IdempotencyKeyReused
from app.stock.backend import (
    EPOCH_KEY,
    MARK_ON_DATABASE,
    OutOfStock,
    StockLine,
    StockUnavailable,
    idempotency_mark_key,
    stock_key,
)

logger = logging.getLogger(__name__)

REFUSED = b"refused:"


class SoldOutGate:
    def __init__(self, redis: RedisClient, ttl: timedelta) -> None:
        self._redis = redis
        self._ttl = int(ttl.total_seconds())

    async def check(
        self, user_id: int, key: str, digest: str, lines: Sequence[StockLine]
    ) -> Answer | None:
        """The recorded answer of an earlier refusal, or None to go on to the database;
        raises `OutOfStock` (and records it) when a line's count is short."""
        mark = idempotency_mark_key(user_id, key)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.exists(EPOCH_KEY)
                pipe.set(mark, MARK_ON_DATABASE, nx=True, ex=self._ttl)
                for line in lines:
                    pipe.get(stock_key(line.variant_id))
                loaded, fresh, *counts = await pipe.execute()
            if not fresh:
                return await self._replay(mark, digest)
            if not loaded:
                return None
            short = _short_line(lines, counts)
            if short is not None:
                line, count = short
                refusal = OutOfStock(line, max(count, 0))
                body = {"code": int(refusal.code), "data": refusal.data, "msg": refusal.msg}
                record = json.dumps({"fingerprint": digest, "body": body})
                await self._redis.set(mark, REFUSED + record.encode(), xx=True, keepttl=True)
                raise refusal
        except (RedisError, OSError) as error:
            logger.warning("Redis is down (%r); refusing orders until it is back", error)
            raise StockUnavailable() from error
        return None

    async def short(self, lines: Sequence[StockLine]) -> bool:
        """Whether Redis counts fewer units than a line asks for: a look, marking nothing,
        before a request is worth `check`ing here; False when Redis cannot tell."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.exists(EPOCH_KEY)
                for line in lines:
                    pipe.get(stock_key(line.variant_id))
                loaded, *counts = await pipe.execute()
        except (RedisError, OSError):
            return False
        return bool(loaded) and _short_line(lines, counts) is not None

    async def _replay(self, mark: str, digest: str) -> Answer | None:
        value = await self._redis.get(mark)
        if not isinstance(value, bytes) or not value.startswith(REFUSED):
            return None
        record = json.loads(value[len(REFUSED) :])
        if record["fingerprint"] != digest:
            raise IdempotencyKeyReused()
        return Answer(409, record["body"], replayed=True)


def _short_line(
    lines: Sequence[StockLine], counts: Sequence[bytes | None]
) -> tuple[StockLine, int] | None:
    """The first line Redis counts fewer units for than it asks, with that count."""
    for line, count in zip(lines, counts, strict=True):
        if count is not None and int(count) < line.quantity:
            return line, int(count)
    return None
