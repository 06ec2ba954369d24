"""Settings, read from the environment and `.env` (see `.env.example` for each one)."""

from functools import lru_cache
from typing import Annotated, Literal, Self

from limits import parse_many
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLACEHOLDERS = frozenset({"", "changeme", "changethis", "change-me", "secret", "placeholder"})
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./shop.db"


def is_placeholder(value: SecretStr | None) -> bool:
    return value is None or value.get_secret_value().strip().lower() in PLACEHOLDERS


class DatabaseSettings(BaseSettings):
    """Just the database: what Alembic needs, without the secrets the app needs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    # DATABASE_URL leads to PgBouncer (or another pooler) in transaction mode: consecutive
    # transactions may run on different server connections, so nothing may outlive one
    # (no prepared statements kept by name, no session settings).
    database_transaction_pooling: bool = False
    # Connections each process keeps open; never more, so a burst waits for one (up to
    # DATABASE_POOL_TIMEOUT seconds) instead of opening and closing connections under load.
    database_pool_size: int = Field(default=20, ge=1)
    database_pool_timeout: float = Field(default=30.0, gt=0, description="seconds")


class Settings(DatabaseSettings):
    environment: Literal["development", "test", "production"] = "production"
    project_name: str = "{{ cookiecutter.project_name }}"
    version: str = "{{ cookiecutter._shopgen.api_version }}"

    redis_url: str | None = None
    # REDIS_URL is a node of a Redis Cluster (a `redis-cluster://` URL says so too).
    redis_cluster: bool = False
    redis_timeout: float = Field(default=0.5, gt=0)

    jwt_secret: SecretStr | None = None
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_issuer: str = "{{ cookiecutter.project_slug }}"
    jwt_audience: str = "{{ cookiecutter.project_slug }}"
    jwt_access_ttl: int = Field(default=15 * 60, gt=0, description="seconds")
    jwt_refresh_ttl: int = Field(default=14 * 24 * 3600, gt=0, description="seconds")

    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_timeout: float = Field(default=5.0, gt=0)

    # WeChat Pay API v3 (JSAPI, for the mini-program). Keys are PEM text or a file path.
    wechatpay_mch_id: str | None = None
    wechatpay_app_id: str | None = None
    wechatpay_api_v3_key: SecretStr | None = None
    wechatpay_private_key: SecretStr | None = None
    wechatpay_cert_serial: str | None = None
    wechatpay_platform_public_key: str | None = None
    wechatpay_platform_serial: str | None = None
    wechatpay_api_base: str = "https://api.mch.weixin.qq.com"
    wechatpay_timeout: float = Field(default=5.0, gt=0)
    payment_notify_url: str | None = None
    # receiveWechatPayRefundNotification's public URL; empty: PAYMENT_NOTIFY_URL's, with its
    # last segment `notifications` read as `refund-notifications`.
    refund_notify_url: str | None = None
    # The mock channel: None means on in development and test, off in production.
    payment_mock_enabled: bool | None = None
    payment_mock_secret: SecretStr | None = None

    # Shopify webhooks: the app's client secret signs every delivery.
    shopify_api_secret: SecretStr | None = None
    shopify_api_version: str = "2025-01"
    # Shops allowed to deliver (e.g. emma-tea-house.myshopify.com); empty allows any shop.
    shopify_shop_domains: Annotated[list[str], NoDecode] = []
    shopify_sweep_interval: float = Field(default=60.0, ge=0, le=3600, description="0: no sweeper")

    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=1024)
    argon2_parallelism: int = Field(default=4, ge=1)

    first_superuser_email: str | None = None
    first_superuser_password: SecretStr | None = None

    cors_origins: Annotated[list[str], NoDecode] = []
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    product_cache_ttl: float = Field(default=30.0, ge=0, description="seconds; 0 disables")
    # /docs: None means on in development and test, off in production.
    docs_enabled: bool | None = None
    # /metrics in production answers only `Authorization: Bearer <METRICS_TOKEN>`; without a
    # token it is off there. Development and test serve it openly.
    metrics_token: SecretStr | None = None

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="bytes")
    # `limits` notation ("5/minute;20/hour"); see .env.example for which operations.
    rate_limits_enabled: bool = True
    rate_limit_auth_per_ip: str = "30/minute"
    rate_limit_auth_per_account: str = "5/minute;30/hour"
    rate_limit_checkout_per_ip: str = "300/minute"
    rate_limit_checkout_per_account: str = "30/minute"
    # Unpaid orders hold stock: caps per customer, so nobody holds a sale's stock hostage.
    max_pending_orders: int = Field(default=5, ge=1)
    max_held_units_per_product: int = Field(default=50, ge=1)
    # zxcvbn score (0-4) a new password needs.
    password_min_score: int = Field(default=2, ge=0, le=4)

    order_payment_window: int = Field(default=15 * 60, gt=0, description="seconds")
    # On PostgreSQL, the orders that arrive while one transaction of orders commits go in the
    # next one, up to this many (`app.orders.batch`); 1 places them one at a time.
    order_batch_limit: int = Field(default=64, ge=1)
    order_expiry_interval: float = Field(default=60.0, ge=0, description="seconds; 0: no job")
    stock_reservation_ttl: int = Field(default=3600, gt=0, description="seconds")
    redis_down_policy: Literal["fail_closed", "database"] = "fail_closed"
    idempotency_ttl: int = Field(default=24 * 3600, ge=24 * 3600, description="seconds")
    # Shipped orders nobody confirmed complete by themselves after this many days.
    auto_complete_days: float = Field(default=10, gt=0, description="days")
    # Uploads of a parcel to WeChat's shipping information, first one included.
    shipping_sync_attempts: int = Field(default=12, ge=1, le=50)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator(
        "rate_limit_auth_per_ip",
        "rate_limit_auth_per_account",
        "rate_limit_checkout_per_ip",
        "rate_limit_checkout_per_account",
    )
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError("must read like `5/minute` or `5/minute;30/hour`") from None
        return value

    @field_validator("shopify_shop_domains", mode="before")
    @classmethod
    def _split_shop_domains(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list):
            return [str(domain).strip().lower() for domain in value if str(domain).strip()]
        return value

    @model_validator(mode="after")
    def _reservations_outlive_payment(self) -> Self:
        # A reservation that lapsed before its order expired would let a replayed RESERVE
        # take stock twice and make the expiry's RELEASE give nothing back.
        if self.stock_reservation_ttl <= self.order_payment_window + self.order_expiry_interval:
            raise ValueError(
                "STOCK_RESERVATION_TTL must exceed ORDER_PAYMENT_WINDOW + ORDER_EXPIRY_INTERVAL"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if self.environment == "development":
            return self
        if is_placeholder(self.jwt_secret):
            raise ValueError("JWT_SECRET is empty or a placeholder; set a random value")
        assert self.jwt_secret is not None
        if len(self.jwt_secret.get_secret_value().encode()) < 32:
            raise ValueError("JWT_SECRET must be at least 32 bytes")
        if self.first_superuser_email and is_placeholder(self.first_superuser_password):
            raise ValueError("FIRST_SUPERUSER_PASSWORD is empty or a placeholder")
        if self.wechatpay_api_v3_key is not None and not is_placeholder(self.wechatpay_api_v3_key):
            if len(self.wechatpay_api_v3_key.get_secret_value().encode()) != 32:
                raise ValueError("WECHATPAY_API_V3_KEY must be the 32-character APIv3 key")
        return self

    @property
    def docs_served(self) -> bool:
        if self.docs_enabled is not None:
            return self.docs_enabled
        return self.environment != "production"

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.wechat_app_id) and not is_placeholder(self.wechat_app_secret)

    @property
    def wechatpay_enabled(self) -> bool:
        """Every WECHATPAY_* setting the JSAPI channel needs is present."""
        return (
            all(
                (
                    self.wechatpay_mch_id,
                    self.wechatpay_app_id,
                    self.wechatpay_cert_serial,
                    self.wechatpay_platform_public_key,
                    self.wechatpay_platform_serial,
                    self.payment_notify_url,
                )
            )
            and not is_placeholder(self.wechatpay_api_v3_key)
            and not is_placeholder(self.wechatpay_private_key)
        )

    @property
    def wechatpay_refund_notify_url(self) -> str | None:
        if self.refund_notify_url:
            return self.refund_notify_url
        base = (self.payment_notify_url or "").rstrip("/")
        if base.endswith("/notifications"):
            return base.removesuffix("notifications") + "refund-notifications"
        return None

    @property
    def mock_payments_enabled(self) -> bool:
        if self.payment_mock_enabled is not None:
            return self.payment_mock_enabled
        return self.environment in ("development", "test")

    @property
    def shopify_enabled(self) -> bool:
        return not is_placeholder(self.shopify_api_secret)


class ConfigurationError(Exception):
    """Settings the service cannot start with. The message names each setting and the rule
    it breaks, never the value: values are often secrets, and startup errors reach logs."""


def describe(error: ValidationError) -> str:
    problems = []
    for problem in error.errors(include_url=False, include_input=False, include_context=False):
        message = str(problem["msg"]).removeprefix("Value error, ")
        setting = "_".join(str(part) for part in problem["loc"]).upper()
        problems.append(f"{setting}: {message}" if setting else message)
    return "invalid settings: " + "; ".join(problems)


def load_settings(**values: object) -> Settings:
    """`Settings(**values)`, refusing bad ones with a `ConfigurationError` that shows no value."""
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigurationError(describe(error)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
