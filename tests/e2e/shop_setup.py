"""Setting up a served shop for the order tests: a migrated database, an admin, a customer
and a product (sold as one variant), then reading stock where it lives."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import httpx

from .conftest import project_env, run

ADMIN = {"email": "owner@example.com", "password": "owner-password-1"}
CUSTOMER = {"email": "buyer@example.com", "password": "buyer-password-1"}
SECRET = "e2e-orders-jwt-secret-" + "y" * 40


def migrated_env(project: Path, database: Path, **settings: str) -> dict[str, str]:
    """The settings of a served project on a migrated SQLite database, with an admin."""
    env = project_env(
        ENVIRONMENT="production",
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        JWT_SECRET=SECRET,
        FIRST_SUPERUSER_EMAIL=ADMIN["email"],
        FIRST_SUPERUSER_PASSWORD=ADMIN["password"],
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="8192",
        ARGON2_PARALLELISM="1",
        LOG_LEVEL="WARNING",
        **settings,
    )
    upgrade = run([sys.executable, "-m", "alembic", "upgrade", "head"], project, env)
    assert upgrade.returncode == 0, upgrade.stderr
    return env


# One customer account stands for a crowd of buyers here; the limits have their own tests.
CROWD = {
    "RATE_LIMITS_ENABLED": "false",
    "MAX_PENDING_ORDERS": "100000",
    "MAX_HELD_UNITS_PER_PRODUCT": "100000",
}


def shop_env(project: Path, database: Path, **extra: str) -> dict[str, str]:
    """A migrated SQLite database (WAL, shared by every worker) and the settings to use it."""
    settings = {"PRODUCT_CACHE_TTL": "0", "ORDER_EXPIRY_INTERVAL": "0", **CROWD, **extra}
    return migrated_env(project, database, **settings)


@dataclass(frozen=True)
class Shop:
    admin: dict[str, str]
    customer: dict[str, str]
    product_id: int
    variant_id: int


def _bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['data']['access_token']}"}


def open_shop(http: httpx.Client, stock: int) -> Shop:
    """Sign in the admin and a new customer, and list one product with `stock` units."""
    assert http.post("/api/v1/users", json=CUSTOMER).status_code == 201
    customer = _bearer(http.post("/api/v1/auth/tokens", json=CUSTOMER))
    admin = _bearer(http.post("/api/v1/auth/tokens", json=ADMIN))
    product = {
        "sku": "FLASH-1",
        "title": "Limited teapot",
        "price_cents": 9900,
        "currency": "CNY",
        "stock": stock,
        "status": "active",
    }
    created = http.post("/api/v1/products", json=product, headers=admin)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    return Shop(admin, customer, data["id"], data["variants"][0]["id"])


def database_stock(database: Path, variant_id: int) -> int:
    with sqlite3.connect(database) as connection:
        (stock,) = connection.execute(
            "SELECT stock FROM product_variants WHERE id = ?", (variant_id,)
        ).fetchone()
    return int(stock)


def redis_stock_key(variant_id: int) -> str:
    """Where a variant's count lives in Redis (the braces are its Cluster hash tag)."""
    return f"stock:{{v{variant_id}}}"


def order_count(database: Path, status: str | None = None) -> int:
    query = "SELECT count(*) FROM orders"
    args: tuple[str, ...] = ()
    if status is not None:
        query += " WHERE status = ?"
        args = (status,)
    with sqlite3.connect(database) as connection:
        (count,) = connection.execute(query, args).fetchone()
    return int(count)


def load_fake_wechat_pay(project: Path) -> ModuleType:
    """The baked project's WeChat Pay fake, imported by path: the project is not on sys.path."""
    name = f"fake_wechatpay_{abs(hash(project))}"
    spec = importlib.util.spec_from_file_location(name, project / "tests/fakes/wechatpay.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module
