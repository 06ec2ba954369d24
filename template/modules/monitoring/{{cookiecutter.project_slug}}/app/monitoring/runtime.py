"""The monitoring module's objects for one app, built in its lifespan."""

from dataclasses import dataclass

from app.monitoring.config import MonitoringSettings
from app.monitoring.metrics import MonitoringMetrics
from app.monitoring.sampler import Sampler


@dataclass(frozen=True, slots=True)
class MonitoringRuntime:
    settings: MonitoringSettings
    metrics: MonitoringMetrics
    sampler: Sampler
