"""Access tokens per connected shop: stored encrypted, cached, refreshed once.

`access_token(shop_id)` answers from this process's cache while the token is outside the
refresh window (`DOUYIN_REFRESH_WINDOW` before expiry). Inside it, one refresh happens:

- within a process, concurrent callers share one flight (the first starts it, the rest
  await the same task);
- across processes, the refresh runs under `lock:douyin-token:<shop>` in Redis (`SET NX PX`,
  released by compare-and-delete; see `app.core.locks`), or under a lease row in the database
  when no Redis is configured. A process that finds the lock taken waits for the new token
  to appear in the database instead of calling Douyin itself;
- the new pair is stored with a conditional update on `token_version`, so a refresh whose
  lock lapsed cannot overwrite a newer pair.

A failed refresh backs off (exponential, full jitter, capped by DOUYIN_REFRESH_BACKOFF_CAP)
and the still-valid token keeps being used until it expires; during the back-off nobody
calls Douyin for that shop. A refused refresh token (or code) marks the shop `reauthorize`:
only connecting it again helps, and no call is made until then.
"""

import asyncio
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import or_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import utcnow
from app.core.locks import RedisLock
from app.douyin import errors
from app.douyin.client import TokenApi, TokenGrant
from app.douyin.config import DouyinSettings
from app.douyin.crypto import TokenCipher
from app.douyin.models import DouyinShop

logger = logging.getLogger(__name__)

LOCK_TTL_MS = 30_000
WAIT_POLL = 0.05
Clock = Callable[[], datetime]


class ShopNotConnected(errors.DouyinError):
    def __init__(self, shop_id: str) -> None:
        self.shop_id = shop_id
        super().__init__(f"Douyin shop {shop_id} is not connected")


@dataclass(frozen=True, slots=True)
class CachedToken:
    token: str
    expires_at: datetime
    version: int


def token_status(shop: DouyinShop, now: datetime, window: timedelta) -> str:
    """The shop's token health, as `DouyinShop.token_status` in the contract."""
    if shop.status == "reauthorize":
        return "reauthorize"
    if shop.next_refresh_at is not None and shop.next_refresh_at > now:
        return "backing_off"
    if shop.access_expires_at <= now:
        return "expired"
    if shop.access_expires_at - window <= now:
        return "refresh_due"
    return "healthy"


class TokenManager:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        api: TokenApi,
        cipher: TokenCipher,
        settings: DouyinSettings,
        *,
        redis: Redis | None,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._api = api
        self._cipher = cipher
        self._settings = settings
        self._redis = redis
        self._clock = clock
        self._rng = rng or random.Random()
        self._window = timedelta(seconds=settings.refresh_window)
        self._cache: dict[str, CachedToken] = {}
        self._rejected: dict[str, str] = {}
        self._flights: dict[str, asyncio.Task[CachedToken]] = {}
        self._owner = secrets.token_hex(8)

    # -- connecting ----------------------------------------------------------------------

    async def connect(self, grant_type: str, *, shop_id: str | None, code: str | None) -> str:
        """Exchange an authorization for tokens and store them; the shop's id."""
        if grant_type == "authorization_self":
            assert shop_id is not None
            grant = await self._api.create_self(shop_id=shop_id)
        else:
            assert code is not None
            grant = await self._api.create_from_code(code=code)
        if not grant.shop_id:
            raise errors.DouyinBusinessError(0, "token.no-shop", "token answer names no shop")
        now = self._clock()
        async with self._sessionmaker() as session:
            shop = await session.get(DouyinShop, grant.shop_id)
            if shop is None:
                shop = DouyinShop(shop_id=grant.shop_id, connected_at=now, token_version=0)
                session.add(shop)
            shop.grant_type = grant_type
            shop.shop_name = grant.shop_name or shop.shop_name
            shop.authority_id = grant.authority_id
            self._write_grant(shop, grant, now)
            shop.token_version = (shop.token_version or 0) + 1
            await session.commit()
            version = shop.token_version
        self._cache[grant.shop_id] = CachedToken(
            grant.access_token, now + timedelta(seconds=grant.expires_in), version
        )
        self._rejected.pop(grant.shop_id, None)
        logger.info("douyin shop connected shop_id=%s grant=%s", grant.shop_id, grant_type)
        return grant.shop_id

    def _write_grant(self, shop: DouyinShop, grant: TokenGrant, now: datetime) -> None:
        shop.access_token = self._cipher.encrypt(grant.access_token)
        shop.refresh_token = self._cipher.encrypt(grant.refresh_token)
        shop.access_expires_at = now + timedelta(seconds=grant.expires_in)
        shop.refresh_expires_at = now + timedelta(seconds=self._settings.refresh_token_ttl)
        shop.status = "active"
        shop.refresh_failures = 0
        shop.next_refresh_at = None
        shop.last_error = None
        shop.updated_at = now

    # -- TokenSource ---------------------------------------------------------------------

    async def access_token(self, shop_id: str) -> str:
        cached = self._cache.get(shop_id)
        if cached is not None and not self._due(cached, shop_id):
            return cached.token
        return (await self._single_flight(shop_id)).token

    async def expired(self, shop_id: str, token: str) -> None:
        self._rejected[shop_id] = token
        self._cache.pop(shop_id, None)

    # -- the refresh ---------------------------------------------------------------------

    def _due(self, token: CachedToken, shop_id: str) -> bool:
        return (
            self._clock() >= token.expires_at - self._window
            or self._rejected.get(shop_id) == token.token
        )

    def _usable(self, token: CachedToken, shop_id: str) -> bool:
        return self._clock() < token.expires_at and self._rejected.get(shop_id) != token.token

    async def _single_flight(self, shop_id: str) -> CachedToken:
        flight = self._flights.get(shop_id)
        if flight is None:
            flight = asyncio.ensure_future(self._fresh(shop_id))
            self._flights[shop_id] = flight

            def landed(task: asyncio.Task[CachedToken]) -> None:
                if self._flights.get(shop_id) is task:
                    del self._flights[shop_id]

            flight.add_done_callback(landed)
        # A caller that gives up must not cancel the flight the others wait on.
        return await asyncio.shield(flight)

    async def _load(self, shop_id: str) -> DouyinShop:
        async with self._sessionmaker() as session:
            shop = await session.get(DouyinShop, shop_id)
        if shop is None:
            raise ShopNotConnected(shop_id)
        return shop

    def _current(self, shop: DouyinShop) -> CachedToken:
        return CachedToken(
            self._cipher.decrypt(shop.access_token), shop.access_expires_at, shop.token_version
        )

    async def _fresh(self, shop_id: str) -> CachedToken:
        shop = await self._load(shop_id)
        if shop.status == "reauthorize":
            raise errors.ReauthorizationRequired(
                0, "shop.reauthorize", f"shop {shop_id} must be authorized again"
            )
        current = self._current(shop)
        if not self._due(current, shop_id):
            return self._keep(shop_id, current)
        now = self._clock()
        if shop.next_refresh_at is not None and now < shop.next_refresh_at:
            return self._fallback(shop_id, current, "backing off after failed refreshes", shop)
        async with self._exclusive(shop_id) as held:
            if not held:
                return await self._await_other(shop_id, current)
            return await self._refresh(shop_id, current)

    def _keep(self, shop_id: str, token: CachedToken) -> CachedToken:
        self._cache[shop_id] = token
        return token

    def _fallback(
        self, shop_id: str, current: CachedToken, reason: str, shop: DouyinShop | None = None
    ) -> CachedToken:
        """Keep serving a token that is due but still valid; else say when to come back."""
        if self._usable(current, shop_id):
            return current
        retry_after = None
        if shop is not None and shop.next_refresh_at is not None:
            retry_after = max((shop.next_refresh_at - self._clock()).total_seconds(), 0.0)
        raise errors.TokenUnavailable(shop_id, reason, retry_after)

    async def _refresh(self, shop_id: str, seen: CachedToken) -> CachedToken:
        shop = await self._load(shop_id)
        if shop.token_version != seen.version:
            # Another process refreshed between our read and our lock.
            return self._keep(shop_id, self._current(shop))
        refresh_token = self._cipher.decrypt(shop.refresh_token)
        try:
            grant = await self._api.refresh(refresh_token=refresh_token)
        except errors.ReauthorizationRequired as error:
            await self._mark(shop_id, seen.version, status="reauthorize", error=error)
            logger.warning("douyin shop must be authorized again shop_id=%s", shop_id)
            raise
        except errors.DouyinError as error:
            failures = shop.refresh_failures + 1
            ceiling = min(self._settings.refresh_backoff_cap, 2 ** min(failures, 16))
            wait = timedelta(seconds=self._rng.uniform(ceiling / 2, ceiling))
            await self._mark(
                shop_id, seen.version, error=error, failures=failures, retry_at=self._clock() + wait
            )
            logger.warning(
                "douyin token refresh failed shop_id=%s failures=%d retry_in=%ds",
                shop_id,
                failures,
                int(wait.total_seconds()),
            )
            return self._fallback(shop_id, seen, f"refresh failed: {error}")
        now = self._clock()
        fresh = CachedToken(
            grant.access_token, now + timedelta(seconds=grant.expires_in), seen.version + 1
        )
        async with self._sessionmaker() as session:
            result = await session.execute(
                update(DouyinShop)
                .where(DouyinShop.shop_id == shop_id, DouyinShop.token_version == seen.version)
                .values(
                    access_token=self._cipher.encrypt(grant.access_token),
                    refresh_token=self._cipher.encrypt(grant.refresh_token),
                    access_expires_at=fresh.expires_at,
                    refresh_expires_at=now + timedelta(seconds=self._settings.refresh_token_ttl),
                    token_version=fresh.version,
                    status="active",
                    refresh_failures=0,
                    next_refresh_at=None,
                    last_error=None,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        assert isinstance(result, CursorResult)
        if result.rowcount != 1:
            logger.warning("douyin token refresh lost a race shop_id=%s", shop_id)
            return self._keep(shop_id, self._current(await self._load(shop_id)))
        self._rejected.pop(shop_id, None)
        logger.info("douyin token refreshed shop_id=%s version=%d", shop_id, fresh.version)
        return self._keep(shop_id, fresh)

    async def _mark(
        self,
        shop_id: str,
        version: int,
        *,
        error: errors.DouyinError,
        status: str | None = None,
        failures: int | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        values: dict[str, object] = {"last_error": str(error)[:1000], "updated_at": self._clock()}
        if status is not None:
            values["status"] = status
        if failures is not None:
            values["refresh_failures"] = failures
            values["next_refresh_at"] = retry_at
        async with self._sessionmaker() as session:
            await session.execute(
                update(DouyinShop)
                .where(DouyinShop.shop_id == shop_id, DouyinShop.token_version == version)
                .values(**values)
            )
            await session.commit()

    async def _await_other(self, shop_id: str, seen: CachedToken) -> CachedToken:
        """Another process holds the lock: wait for the pair it stores, or its failure."""
        deadline = time.monotonic() + LOCK_TTL_MS / 1000
        while time.monotonic() < deadline:
            shop = await self._load(shop_id)
            if shop.token_version != seen.version:
                return self._keep(shop_id, self._current(shop))
            if shop.status == "reauthorize":
                raise errors.ReauthorizationRequired(
                    0, "shop.reauthorize", f"shop {shop_id} must be authorized again"
                )
            if shop.next_refresh_at is not None and shop.next_refresh_at > self._clock():
                return self._fallback(shop_id, seen, "refresh failed elsewhere", shop)
            await asyncio.sleep(WAIT_POLL)
        return self._fallback(shop_id, seen, "another process is refreshing")

    # -- mutual exclusion across processes -----------------------------------------------

    @asynccontextmanager
    async def _exclusive(self, shop_id: str) -> AsyncIterator[bool]:
        if self._redis is not None:
            lock = RedisLock(self._redis, f"douyin-token:{shop_id}", LOCK_TTL_MS)
            try:
                acquired = await lock.acquire()
            except (RedisError, OSError) as error:
                logger.warning("douyin token lock: Redis failed (%s); using the database", error)
            else:
                try:
                    yield acquired
                finally:
                    if acquired:
                        try:
                            await lock.release()
                        except (RedisError, OSError):
                            pass  # the lock lapses with its TTL
                return
        async with self._lease(shop_id) as acquired:
            yield acquired

    @asynccontextmanager
    async def _lease(self, shop_id: str) -> AsyncIterator[bool]:
        now = self._clock()
        async with self._sessionmaker() as session:
            result = await session.execute(
                update(DouyinShop)
                .where(
                    DouyinShop.shop_id == shop_id,
                    or_(DouyinShop.lease_until.is_(None), DouyinShop.lease_until < now),
                )
                .values(
                    lease_owner=self._owner, lease_until=now + timedelta(milliseconds=LOCK_TTL_MS)
                )
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        assert isinstance(result, CursorResult)
        acquired = result.rowcount == 1
        try:
            yield acquired
        finally:
            if acquired:
                async with self._sessionmaker() as session:
                    await session.execute(
                        update(DouyinShop)
                        .where(DouyinShop.shop_id == shop_id, DouyinShop.lease_owner == self._owner)
                        .values(lease_owner=None, lease_until=None)
                    )
                    await session.commit()
