"""Settings of the monitoring module, read from `MONITORING_*` variables (see `.env.example`)."""

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MonitoringSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MONITORING_", env_file=".env", extra="ignore")

    sample_interval: float = Field(
        default=30.0, ge=0, description="seconds between samples of the database; 0: none"
    )
    expiry_grace: float = Field(
        default=60.0, ge=0, description="seconds an unpaid order may stay past its expiry"
    )
    sample_timeout: float = Field(default=10.0, gt=0, description="seconds a sample may take")
    prometheus_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PROMETHEUS_URL", "MONITORING_PROMETHEUS_URL"),
        description="where the monthly report asks Prometheus; unset: the database only",
    )
    prometheus_timeout: float = Field(default=30.0, gt=0, description="seconds per query")
    report_timezone: str = Field(
        default="UTC", description="the shop's time zone, for the report's days and months"
    )


@lru_cache
def get_monitoring_settings() -> MonitoringSettings:
    return MonitoringSettings()
