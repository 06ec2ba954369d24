"""Settings of the douyin module, read from `DOUYIN_*` variables (see `.env.example`)."""

from functools import lru_cache
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.core.config import is_placeholder

SignMethod = Literal["hmac-sha256", "md5"]


class DouyinSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOUYIN_", env_file=".env", extra="ignore")

    app_key: str | None = None
    app_secret: SecretStr | None = None
    api_base: str = "https://openapi-fxg.jinritemai.com"
    sign_method: SignMethod = "hmac-sha256"
    ascii_param_json: bool = False
    timeout: float = Field(default=10.0, gt=0, description="seconds per call")
    max_attempts: int = Field(default=4, ge=1, le=10)
    retry_base: float = Field(default=0.5, gt=0, description="seconds")
    retry_cap: float = Field(default=8.0, gt=0, description="seconds")

    # Keys that encrypt tokens at rest: the first encrypts, all decrypt (rotate by prepending).
    token_keys: Annotated[list[SecretStr], NoDecode] = []
    refresh_window: int = Field(default=3600, gt=0, description="seconds before expiry")
    refresh_token_ttl: int = Field(default=14 * 24 * 3600, gt=0, description="seconds")
    refresh_backoff_cap: int = Field(default=900, gt=0, description="seconds")

    sync_interval: float = Field(default=300.0, ge=0, description="seconds; 0: no job")
    sync_overlap: int = Field(default=300, ge=0, description="seconds")
    sync_settle: int = Field(default=10, ge=0, description="seconds")
    sync_max_window: int = Field(default=24 * 3600, gt=0, description="seconds")
    sync_first_window: int = Field(default=7 * 24 * 3600, gt=0, description="seconds")
    sync_concurrency: int = Field(default=4, ge=1, le=32)
    page_size: int = Field(default=100, ge=1, le=100)

    @field_validator("token_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_keys(self) -> Self:
        for key in self.token_keys:
            if is_placeholder(key) or len(key.get_secret_value().encode()) < 32:
                raise ValueError("every DOUYIN_TOKEN_KEYS entry must be at least 32 random bytes")
        return self

    @property
    def enabled(self) -> bool:
        """The app's credentials and a token key are set."""
        return bool(self.app_key) and not is_placeholder(self.app_secret) and bool(self.token_keys)


@lru_cache
def get_douyin_settings() -> DouyinSettings:
    return DouyinSettings()
