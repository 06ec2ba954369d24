"""The commission module's objects for one app, built in its lifespan."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.commission.cache import ConfigCache
from app.commission.config import CommissionSettings
from app.commission.settlement import Settler


@dataclass(frozen=True, slots=True)
class CommissionRuntime:
    settings: CommissionSettings
    sessionmaker: async_sessionmaker[AsyncSession]
    cache: ConfigCache
    settler: Settler
