"""The douyin module's objects for one app: built in its lifespan when configured."""

import asyncio
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.tasks import run_every
from app.douyin import push
from app.douyin.client import DouyinClient
from app.douyin.config import DouyinSettings
from app.douyin.mirror import Mirror
from app.douyin.sync import DouyinSync
from app.douyin.tokens import TokenManager


@dataclass(slots=True)
class DouyinRuntime:
    settings: DouyinSettings
    sessionmaker: async_sessionmaker[AsyncSession]
    client: DouyinClient
    tokens: TokenManager
    mirror: Mirror
    sync: DouyinSync
    background: set[asyncio.Task[object]] = field(default_factory=set)

    def start_sync(self, shop_id: str) -> None:
        """Sync one shop in the background (startDouyinSync); the task is kept until done."""
        task: asyncio.Task[object] = asyncio.ensure_future(self.sync.run_shop(shop_id))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def run_round(self) -> None:
        """One round of the periodic job: every shop's sync, then pending push messages."""
        await self.sync.run_all()
        await push.process_pending(self.sessionmaker, self.client, self.mirror)

    async def run_forever(self, redis: Redis | None, interval: float) -> None:
        """Rounds every `interval` seconds; with Redis, one worker of many runs each round."""
        await run_every(
            interval, self.run_round, name="douyin sync", redis=redis, lock="douyin:sync"
        )

    async def close(self) -> None:
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
