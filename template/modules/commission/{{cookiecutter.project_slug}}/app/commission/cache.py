"""The channels and rules, cached. The database is the record; Redis holds snapshots of it by
version; each process keeps the newest it has seen and hears of newer ones over pub/sub.

    a change  ──(its transaction)──> commission_config.version + 1
              ──(after the commit)──> PUBLISH commission:config <version>
    a process ──SUBSCRIBE commission:config──> forgets a snapshot older than announced
    a read    this process's snapshot, unless older than announced or than `ttl`; else
              GET commission:config:<version> from Redis; else the database, then SET
              that snapshot in Redis for the other processes

A snapshot in Redis never changes once written (its key names its version), so a process
that read the database just before a change cannot put an old snapshot back. A message lost
while the subscription reconnects is covered by `ttl`: past it, the process asks the
database for the version (one row) before trusting its snapshot again. Without Redis, each
process reads the version that way every `ttl` seconds.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.commission.engine import Rule
from app.commission.models import CommissionChannel, CommissionConfig, CommissionRule
from app.core.redis import RedisClient
from app.core.tasks import stop_if_cancelled

logger = logging.getLogger(__name__)


PUBSUB_CHANNEL = "commission:config"
SNAPSHOT_KEY = "commission:config:{version}"
SNAPSHOT_TTL_S = 86_400
CONFIG_ROW = 1


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    code: str
    name: str
    parent_id: int | None
    user_id: int | None
    depth: int
    active: bool


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: int
    channels: Mapping[int, Channel]
    rules: tuple[Rule, ...]

    def by_code(self, code: str) -> Channel | None:
        for channel in self.channels.values():
            if channel.code == code:
                return channel
        return None

    def chain(self, channel_id: int) -> list[int]:
        """The channel and its ancestors, seller first."""
        found: list[int] = []
        current: int | None = channel_id
        while current is not None and current not in found:
            found.append(current)
            current = self.channels[current].parent_id
        return found

    def rule(self, rule_id: int) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None

    def dumps(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "channels": [_channel_dict(c) for c in self.channels.values()],
                "rules": [_rule_dict(r) for r in self.rules],
            },
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str | bytes) -> "Snapshot":
        data = json.loads(text)
        channels = [Channel(**c) for c in data["channels"]]
        rules = tuple(_rule_of(r) for r in data["rules"])
        return cls(int(data["version"]), {c.id: c for c in channels}, rules)


def _channel_dict(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "code": channel.code,
        "name": channel.name,
        "parent_id": channel.parent_id,
        "user_id": channel.user_id,
        "depth": channel.depth,
        "active": channel.active,
    }


def _rule_dict(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "version": rule.version,
        "channel_id": rule.channel_id,
        "level": rule.level,
        "rate_bp": rule.rate_bp,
        "fixed_cents": rule.fixed_cents,
        "cap_cents": rule.cap_cents,
        "currency": rule.currency,
        "valid_from": rule.valid_from.isoformat(),
        "valid_until": rule.valid_until.isoformat() if rule.valid_until else None,
    }


def _rule_of(data: Mapping[str, Any]) -> Rule:
    until = data["valid_until"]
    return Rule(
        id=data["id"],
        version=data["version"],
        channel_id=data["channel_id"],
        level=data["level"],
        rate_bp=data["rate_bp"],
        fixed_cents=data["fixed_cents"],
        cap_cents=data["cap_cents"],
        currency=data["currency"],
        valid_from=datetime.fromisoformat(data["valid_from"]),
        valid_until=datetime.fromisoformat(until) if until else None,
    )


def rule_of(row: CommissionRule) -> Rule:
    return Rule(
        id=row.id,
        version=row.version,
        channel_id=row.channel_id,
        level=row.level,
        rate_bp=row.rate_bp,
        fixed_cents=row.fixed_cents,
        cap_cents=row.cap_cents,
        currency=row.currency,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )


def channel_of(row: CommissionChannel) -> Channel:
    return Channel(
        id=row.id,
        code=row.code,
        name=row.name,
        parent_id=row.parent_id,
        user_id=row.user_id,
        depth=row.depth,
        active=row.active,
    )


async def config_version(session: AsyncSession) -> int:
    version = await session.scalar(
        select(CommissionConfig.version).where(CommissionConfig.id == CONFIG_ROW)
    )
    return int(version or 0)


async def read_snapshot(session: AsyncSession) -> Snapshot:
    """The configuration as the database has it now. The version is read before and after
    the rows, so a change committed in between is noticed and read again."""
    while True:
        version = await config_version(session)
        channels: Iterable[CommissionChannel] = await session.scalars(select(CommissionChannel))
        rules: Iterable[CommissionRule] = await session.scalars(select(CommissionRule))
        snapshot = Snapshot(
            version,
            {row.id: channel_of(row) for row in channels},
            tuple(rule_of(row) for row in rules),
        )
        if await config_version(session) == version:
            return snapshot


class ConfigCache:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: RedisClient | None,
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._ttl = ttl
        self._clock = clock
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._announced = 0
        self._lock = asyncio.Lock()
        # How often each source served a miss: the tests read these.
        self.database_reads = 0
        self.redis_reads = 0

    @property
    def announced(self) -> int:
        return self._announced

    async def get(self) -> Snapshot:
        """The newest configuration this process knows of (see the module's docstring)."""
        snapshot = self._snapshot
        if snapshot is not None and self._fresh(snapshot):
            return snapshot
        async with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and self._fresh(snapshot):
                return snapshot
            return await self._refresh(snapshot)

    async def current(self, session: AsyncSession) -> Snapshot:
        """The configuration exactly as `session` sees it, for settlement: the cached one if
        its version is the database's, else read again."""
        version = await config_version(session)
        self.heard(version)
        snapshot = await self.get()
        if snapshot.version == version:
            return snapshot
        self.database_reads += 1
        return await read_snapshot(session)

    def heard(self, version: int) -> None:
        """A newer version exists (announced, or seen in the database)."""
        self._announced = max(self._announced, version)

    async def announce(self, version: int) -> None:
        """Tell every process (this one first) that `version` is committed."""
        self.heard(version)
        if self._redis is None:
            return
        try:
            await self._redis.publish(PUBSUB_CHANNEL, str(version))
        except (RedisError, OSError) as error:
            logger.warning(
                "commission config change not announced (%s); others see it in TTL", error
            )

    def _fresh(self, snapshot: Snapshot) -> bool:
        return snapshot.version >= self._announced and self._clock() - self._checked_at < self._ttl

    async def _refresh(self, snapshot: Snapshot | None) -> Snapshot:
        async with self._sessionmaker() as session:
            version = await config_version(session)
            self.heard(version)
            if snapshot is None or snapshot.version < version:
                snapshot = await self._from_redis(version)
            if snapshot is None or snapshot.version < version:
                snapshot = await read_snapshot(session)
                self.database_reads += 1
                await self._to_redis(snapshot)
        self._snapshot = snapshot
        self._checked_at = self._clock()
        return snapshot

    async def _from_redis(self, version: int) -> Snapshot | None:
        if self._redis is None:
            return None
        try:
            raw = await self._redis.get(SNAPSHOT_KEY.format(version=version))
        except (RedisError, OSError) as error:
            logger.warning("commission config not read from Redis: %s", error)
            return None
        if raw is None:
            return None
        self.redis_reads += 1
        return Snapshot.loads(raw)

    async def _to_redis(self, snapshot: Snapshot) -> None:
        if self._redis is None:
            return
        key = SNAPSHOT_KEY.format(version=snapshot.version)
        try:
            await self._redis.set(key, snapshot.dumps(), ex=SNAPSHOT_TTL_S, nx=True)
        except (RedisError, OSError) as error:
            logger.warning("commission config not written to Redis: %s", error)

    async def listen(self, *, ready: asyncio.Event | None = None) -> None:
        """Follow announcements until cancelled; after a lost connection, trust nothing
        cached from before it."""
        if self._redis is None:
            return
        delay = 0.5
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(PUBSUB_CHANNEL)
                self._checked_at = 0.0  # messages may have been missed until now
                if ready is not None:
                    ready.set()
                delay = 0.5
                while True:
                    stop_if_cancelled()
                    # A bounded wait, so the connection's health check runs between messages.
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is not None and message.get("type") == "message":
                        self._on_message(message.get("data"))
            except (RedisError, OSError) as error:
                stop_if_cancelled()
                logger.warning("commission config subscription lost (%s); retrying", error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            finally:
                await pubsub.aclose()

    def _on_message(self, data: object) -> None:
        try:
            version = int(data.decode() if isinstance(data, bytes) else str(data))
        except ValueError:
            return
        self.heard(version)
