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

import functools
import json
import logging
import time
from collections.abc import Sequence
from datetime import timedelta

from redis.exceptions import RedisError
from starlette.responses import Response

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
# How long a variant found short is guessed to be short still, and how many are remembered.
GUESS_FOR, REMEMBERED = 1.0, 1024
# Set on a request's scope when this gate let it through before routing
# (`app.orders.early_refusal`): the handler placing it does not ask again.
PASSED = "shop.sold_out_gate_passed"


class SoldOutGate:
    """The gate. It remembers, for a second, the variants it found short: the next request
    for one is marked with its refusal in the same round trip that reads the counts, instead
    of a second round trip once they are read. A guess the counts belie is put right there
    (the refusal they call for, or the plain mark when the line is in stock again)."""

    def __init__(self, redis: RedisClient, ttl: timedelta) -> None:
        self._redis = redis
        self._ttl = int(ttl.total_seconds())
        self._short: dict[int, tuple[int, float]] = {}  # variant: its count, when it was read

    async def check(
        self, user_id: int, key: str, digest: str, lines: Sequence[StockLine]
    ) -> Answer | None:
        """The recorded answer of an earlier refusal, or None to go on to the database;
        raises `OutOfStock` (and records it) when a line's count is short."""
        mark = idempotency_mark_key(user_id, key)
        guess = self._guess(lines)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.exists(EPOCH_KEY)
                value = _record(digest, guess) if guess is not None else MARK_ON_DATABASE
                pipe.set(mark, value, nx=True, ex=self._ttl)
                for line in lines:
                    pipe.get(stock_key(line.variant_id))
                loaded, fresh, *counts = await pipe.execute()
            if not fresh:
                return await self._replay(mark, digest)
            short = _short_line(lines, counts) if loaded else None
            self._remember(lines, counts)
            if short is not None and short != guess:
                await self._redis.set(mark, _record(digest, short), xx=True, keepttl=True)
            elif short is None and guess is not None:
                await self._redis.set(mark, MARK_ON_DATABASE, xx=True, keepttl=True)
        except (RedisError, OSError) as error:
            logger.warning("Redis is down (%r); refusing orders until it is back", error)
            raise StockUnavailable() from error
        if short is not None:
            raise OutOfStock(*short)
        return None

    def _guess(self, lines: Sequence[StockLine]) -> tuple[StockLine, int] | None:
        """The short line the counts read last second call for, if any."""
        now = time.monotonic()
        for line in lines:
            seen = self._short.get(line.variant_id)
            if seen is not None and now - seen[1] < GUESS_FOR and seen[0] < line.quantity:
                return line, max(seen[0], 0)
        return None

    def _remember(self, lines: Sequence[StockLine], counts: Sequence[bytes | None]) -> None:
        now = time.monotonic()
        for line, count in zip(lines, counts, strict=True):
            if count is not None and int(count) < line.quantity:
                if len(self._short) >= REMEMBERED and line.variant_id not in self._short:
                    self._short.clear()
                self._short[line.variant_id] = (int(count), now)
            else:
                self._short.pop(line.variant_id, None)

    async def _replay(self, mark: str, digest: str) -> Answer | None:
        value = await self._redis.get(mark)
        if not isinstance(value, bytes) or not value.startswith(REFUSED):
            return None
        record = json.loads(value[len(REFUSED) :])
        if record["fingerprint"] != digest:
            raise IdempotencyKeyReused()
        return Answer(409, record["body"], replayed=True)


def _record(digest: str, short: tuple[StockLine, int]) -> bytes:
    """A mark that keeps the refusal of a short line, for the request's retries."""
    return b"".join(
        (REFUSED, b'{"fingerprint": "', digest.encode(), b'", "body": ', _body(*short), b"}")
    )


def refusal_response(refusal: OutOfStock) -> Response:
    """The 409 the route gives a short line, from its bytes written once."""
    body = _body(refusal.line, refusal.available)
    return Response(body, status_code=refusal.status_code, media_type="application/json")


@functools.lru_cache(maxsize=256)
def _body(line: StockLine, available: int | None) -> bytes:
    """The answer to a short line, written once: a crowd gets the same few."""
    refusal = OutOfStock(line, available)
    return json.dumps(
        {"code": int(refusal.code), "data": refusal.data, "msg": refusal.msg}
    ).encode()


def _short_line(
    lines: Sequence[StockLine], counts: Sequence[bytes | None]
) -> tuple[StockLine, int] | None:
    """The first line Redis counts fewer units for than it asks, with what it has left."""
    for line, count in zip(lines, counts, strict=True):
        if count is not None and int(count) < line.quantity:
            return line, max(int(count), 0)
    return None
