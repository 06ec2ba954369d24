"""Generated services under uvicorn, driven over HTTP the way a client would."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from .conftest import free_port, serve
from .fake_wechat import APP_ID, APP_SECRET, FakeWechat, serve_fake_wechat
from .shop_setup import ADMIN, migrated_env

METRICS_TOKEN = "e2e-metrics-token-" + "m" * 24


@pytest.fixture
def wechat() -> Iterator[FakeWechat]:
    with serve_fake_wechat() as fake:
        yield fake


def _bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['data']['access_token']}"}


def test_canonical_service_flows(
    canonical_project: Path, tmp_path: Path, wechat: FakeWechat
) -> None:
    env = migrated_env(
        canonical_project,
        tmp_path / "served.db",
        WECHAT_APP_ID=APP_ID,
        WECHAT_APP_SECRET=APP_SECRET,
        WECHAT_API_BASE=wechat.base_url,
        METRICS_TOKEN=METRICS_TOKEN,
    )
    with serve(canonical_project, env) as http:
        health = http.get("/api/v1/health")
        assert health.status_code == 200
        assert "server" not in health.headers
        assert health.headers["x-content-type-options"] == "nosniff"
        assert health.json()["data"] == {
            "status": "ok",
            "database": "ok",
            "redis": "disabled",
            "version": "1.0.0",
        }

        customer = {"email": "li.wei@example.com", "password": "correct-horse-battery"}
        assert http.post("/api/v1/users", json=customer).status_code == 201
        customer_auth = _bearer(http.post("/api/v1/auth/tokens", json=customer))
        admin_auth = _bearer(http.post("/api/v1/auth/tokens", json=ADMIN))

        product = {
            "sku": "TEA-LJ-250",
            "title": "西湖龙井 250g",
            "price_cents": 16800,
            "currency": "CNY",
            "stock": 120,
            "status": "active",
            "category": "tea",
        }
        refused = http.post("/api/v1/products", json=product, headers=customer_auth)
        assert refused.status_code == 403
        created = http.post("/api/v1/products", json=product, headers=admin_auth)
        assert created.status_code == 201, created.text
        product_id = created.json()["data"]["id"]

        listed = http.get("/api/v1/products", params={"category": "tea"}, headers=customer_auth)
        assert listed.status_code == 200
        assert [p["sku"] for p in listed.json()["data"]["items"]] == ["TEA-LJ-250"]
        read = http.get(f"/api/v1/products/{product_id}")
        assert read.json()["data"]["title"] == "西湖龙井 250g"

        session = http.post("/api/v1/auth/wechat-sessions", json={"js_code": "0c3Xk1Ga1"})
        me = http.get("/api/v1/users/me", headers=_bearer(session))
        assert me.json()["data"]["email"] is None
        assert "SECRET" not in session.text
        assert wechat.requests[-1] == {
            "appid": APP_ID,
            "secret": APP_SECRET,
            "js_code": "0c3Xk1Ga1",
            "grant_type": "authorization_code",
        }
        used = http.post("/api/v1/auth/wechat-sessions", json={"js_code": "used-code"})
        assert used.status_code == 401
        assert used.json()["code"] == 40103

        order = {"items": [{"product_id": product_id, "quantity": 2}]}
        keyless = http.post("/api/v1/orders", json=order, headers=customer_auth)
        assert keyless.status_code == 400
        assert keyless.json()["code"] == 40001
        placed = http.post(
            "/api/v1/orders",
            json=order,
            headers={**customer_auth, "Idempotency-Key": "order-key-0001"},
        )
        assert placed.status_code == 201, placed.text
        assert placed.json()["data"]["total_cents"] == 2 * 16800
        assert http.get(f"/api/v1/products/{product_id}").json()["data"]["stock"] == 118

        served = http.get("/openapi.json").json()
        contract = canonical_project / "contract" / "openapi.yaml"
        assert served == yaml.safe_load(contract.read_text(encoding="utf-8"))
        assert http.get("/metrics").status_code == 401
        metrics = http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
        assert 'route="/api/v1/products"' in metrics


def test_customised_service_serves_its_own_contract(
    catalogue_project: Path, tmp_path: Path
) -> None:
    env = migrated_env(catalogue_project, tmp_path / "served.db")
    with serve(catalogue_project, env) as http:
        assert http.get("/api/v1/products").json()["data"]["items"] == []
        unwritten = http.get("/api/v1/categories")
        assert unwritten.status_code == 501
        assert unwritten.json() == {
            "code": 50101,
            "data": None,
            "msg": "listCategories is not implemented yet",
        }
        anonymous = http.post("/api/v1/products", json={})
        assert anonymous.status_code == 401
        assert http.post("/api/v1/auth/tokens", json=ADMIN).status_code == 404
        missing = http.get("/api/v1/nowhere")
        assert missing.json() == {"code": 40401, "data": None, "msg": "Not Found"}
        assert http.get("/openapi.json").json()["info"]["title"] == "Catalogue API"


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_health_follows_redis(catalogue_project: Path, tmp_path: Path, redis_url: str) -> None:
    env = migrated_env(catalogue_project, tmp_path / "served.db", REDIS_URL=redis_url)
    with serve(catalogue_project, env) as http:
        deadline = time.monotonic() + 10
        while (health := http.get("/api/v1/health")).status_code != 200:
            assert time.monotonic() < deadline, health.text
        assert health.json()["data"]["redis"] == "ok"
