"""A field a contract adds to a canonical resource, served: written, stored and read back."""

from __future__ import annotations

import sys
from pathlib import Path

from .conftest import project_env, run, serve

ADMIN = {"email": "owner@example.com", "password": "owner-password-1"}


def test_product_brand_round_trips_over_http(coupons_project: Path, tmp_path: Path) -> None:
    env = project_env(
        ENVIRONMENT="production",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'served.db'}",
        JWT_SECRET="e2e-jwt-secret-" + "x" * 40,
        FIRST_SUPERUSER_EMAIL=ADMIN["email"],
        FIRST_SUPERUSER_PASSWORD=ADMIN["password"],
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="8192",
        ARGON2_PARALLELISM="1",
        LOG_LEVEL="WARNING",
    )
    upgrade = run([sys.executable, "-m", "alembic", "upgrade", "head"], coupons_project, env)
    assert upgrade.returncode == 0, upgrade.stderr
    with serve(coupons_project, env) as http:
        login = http.post("/api/v1/auth/tokens", json=ADMIN)
        assert login.status_code == 201, login.text
        admin = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
        body = {
            "sku": "TEA-LJ-250",
            "title": "Longjing 250 g",
            "price_cents": 16800,
            "currency": "CNY",
            "status": "active",
            "brand": "West Lake",
            "weight_grams": 250,
            "tags": ["green", "spring"],
        }
        created = http.post("/api/v1/products", json=body, headers=admin)
        assert created.status_code == 201, created.text
        product = created.json()["data"]
        assert (product["brand"], product["weight_grams"], product["tags"]) == (
            "West Lake",
            250,
            ["green", "spring"],
        )

        url = f"/api/v1/products/{product['id']}"
        assert http.get(url).json()["data"] == product
        patched = http.patch(url, json={"brand": None, "tags": ["oolong"]}, headers=admin)
        assert patched.status_code == 200, patched.text
        read = http.get(url).json()["data"]
        assert (read["brand"], read["weight_grams"], read["tags"]) == (None, 250, ["oolong"])
        listed = http.get("/api/v1/products").json()["data"]["items"]
        assert [item["brand"] for item in listed] == [None]
