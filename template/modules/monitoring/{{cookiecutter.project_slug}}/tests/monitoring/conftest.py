"""The service with the monitoring module; samples are taken when a test says so."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.main import create_app
from app.monitoring.config import MonitoringSettings


@pytest.fixture
def monitoring_settings() -> MonitoringSettings:
    return MonitoringSettings(
        _env_file=None,  # type: ignore[call-arg]
        sample_interval=0,
        expiry_grace=60,
    )


@pytest.fixture
async def app(
    settings: Settings, engine: AsyncEngine, monitoring_settings: MonitoringSettings
) -> AsyncIterator[FastAPI]:
    made = create_app(settings)
    made.state.monitoring_settings = monitoring_settings
    async with made.router.lifespan_context(made):
        yield made
