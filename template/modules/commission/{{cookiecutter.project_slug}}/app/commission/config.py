"""Settings of the commission module, read from `COMMISSION_*` variables (see `.env.example`)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommissionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMMISSION_", env_file=".env", extra="ignore")

    return_window_days: float = Field(
        default=7.0, ge=0, le=365, description="days after completion before settling"
    )
    settle_interval: float = Field(
        default=600.0, ge=0, description="seconds between settlement rounds; 0: none in-app"
    )
    batch: int = Field(default=200, ge=1, le=5000, description="orders per settlement round")
    cache_ttl: float = Field(
        default=30.0, gt=0, le=3600, description="seconds a process trusts its cached rules"
    )


@lru_cache
def get_commission_settings() -> CommissionSettings:
    return CommissionSettings()
