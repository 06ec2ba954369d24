"""The erp module's objects for one app, built in its lifespan."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.erp.config import ErpSettings
from app.erp.delivery import Deliverer
from app.erp.metrics import ErpMetrics


@dataclass(frozen=True, slots=True)
class ErpRuntime:
    settings: ErpSettings
    sessionmaker: async_sessionmaker[AsyncSession]
    metrics: ErpMetrics
    # None while ERP_BASE_URL or ERP_SECRET is unset.
    deliverer: Deliverer | None
