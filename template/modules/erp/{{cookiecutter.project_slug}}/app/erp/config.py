"""Settings of the erp module, read from `ERP_*` variables (see `.env.example`)."""

from functools import lru_cache
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.config import is_placeholder


class ErpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ERP_", env_file=".env", extra="ignore")

    base_url: str | None = None
    secret: SecretStr | None = None
    timeout: float = Field(default=10.0, gt=0, description="seconds")
    max_attempts: int = Field(default=10, ge=1, le=100)
    retry_base: float = Field(default=2.0, gt=0, description="seconds")
    retry_cap: float = Field(default=600.0, gt=0, description="seconds")
    interval: float = Field(default=2.0, ge=0, description="seconds; 0: no in-app worker")
    concurrency: int = Field(default=4, ge=1, le=64)
    batch: int = Field(default=100, ge=1, le=1000)
    claim_timeout: float = Field(default=300.0, gt=0, description="seconds")
    signature_tolerance: int = Field(default=300, ge=1, description="seconds")

    @model_validator(mode="after")
    def _secret_is_strong(self) -> Self:
        if self.secret is not None and not is_placeholder(self.secret):
            if len(self.secret.get_secret_value().encode()) < 32:
                raise ValueError("ERP_SECRET must be at least 32 bytes")
        return self

    @property
    def signing(self) -> bool:
        return not is_placeholder(self.secret)

    @property
    def delivering(self) -> bool:
        """Changes are recorded and delivered: a URL and a secret are set."""
        return bool(self.base_url) and self.signing


@lru_cache
def get_erp_settings() -> ErpSettings:
    return ErpSettings()
