"""What the service gives away: headers, docs, metrics, configuration errors, weak passwords,
and what a stale token may still see."""

import gc
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.contract import SWAGGER_UI_CSS_SRI, SWAGGER_UI_JS_SRI
from app.auth.models import User
from app.core.config import Settings
from app.main import create_app, native_telemetry
from tests import payloads
from tests.conftest import ADMIN_EMAIL
from tests.markers import requires

PROJECT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def served(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=changes))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_every_answer_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    for response in (await client.get("/openapi.json"), await client.get("/nowhere")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
        assert "Strict-Transport-Security" not in response.headers


async def test_production_adds_hsts_and_hides_docs_and_metrics(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with served(settings, environment="production") as client:
        response = await client.get("/openapi.json")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/metrics")).status_code == 404


async def test_docs_can_be_enabled_in_production_and_pin_their_assets(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with served(settings, environment="production", docs_enabled=True) as client:
        page = await client.get("/docs")
    assert page.status_code == 200
    assert "swagger-ui-dist@5.36.0/swagger-ui-bundle.js" in page.text
    assert f'integrity="{SWAGGER_UI_JS_SRI}"' in page.text
    assert f'integrity="{SWAGGER_UI_CSS_SRI}"' in page.text
    assert page.text.count('crossorigin="anonymous"') == 2


async def test_production_metrics_need_the_token(settings: Settings, engine: AsyncEngine) -> None:
    token = "metrics-token-for-the-test-0123456789"
    changes = {"environment": "production", "metrics_token": SecretStr(token)}
    async with served(settings, **changes) as client:
        refused = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == wrong.status_code == 401
    assert refused.json()["code"] == 40101
    assert allowed.status_code == 200
    assert "http_requests_total" in allowed.text
    # Each answer is counted under its route and status, however often the series is reused.
    refusals = 'http_requests_total{method="GET",route="/metrics",status="401"} 2.0'
    assert refusals in allowed.text


async def test_a_refused_cors_preflight_answers_in_the_envelope(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with served(settings, cors_origins=["https://shop.example.com"]) as client:
        preflight = {"Access-Control-Request-Method": "GET"}
        allowed = await client.options(
            "/openapi.json", headers={**preflight, "Origin": "https://shop.example.com"}
        )
        refused = await client.options(
            "/openapi.json", headers={**preflight, "Origin": "https://evil.example.net"}
        )
    assert allowed.status_code == 200
    assert refused.status_code == 400
    assert refused.json() == {"code": 40001, "data": None, "msg": "Disallowed CORS origin"}


def _start(**env: str) -> str:
    """The error output of loading settings from `env` in a fresh interpreter."""
    script = "from app.core.config import get_settings; get_settings()"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    return result.stderr


def test_a_refused_configuration_names_the_setting_never_the_value() -> None:
    secret = "s3cr3t-" + "q" * 20
    password = "hunter2-" + "p" * 20
    production = {
        "ENVIRONMENT": "production",
        "JWT_SECRET": secret,
        "FIRST_SUPERUSER_EMAIL": ADMIN_EMAIL,
        "FIRST_SUPERUSER_PASSWORD": password,
    }
    refused = _start(**production)
    assert "invalid settings: JWT_SECRET must be at least 32 bytes" in refused
    badly_typed = _start(**production, ARGON2_TIME_COST="zero")
    assert "ARGON2_TIME_COST: Input should be a valid integer" in badly_typed
    for output in (refused, badly_typed):
        for value in (secret, password, secret[:12], password[:12], "zero"):
            assert value not in output


@requires("registerUser")
async def test_weak_passwords_and_passwords_with_the_email_are_refused(
    client: httpx.AsyncClient,
) -> None:
    cases = {
        "12345678": "This is a top-10 common password.",
        "password1": "This is a very common password.",
        "ada.lovelace@example.com": "The password may not contain the email address.",
        "my-ada.lovelace@example.com!": "The password may not contain the email address.",
    }
    for password, message in cases.items():
        body = {"email": "Ada.Lovelace@example.com", "password": password}
        response = await client.post("/api/v1/users", json={**body, **payloads.REGISTER_USER})
        assert response.status_code == 422, password
        assert response.json()["data"]["errors"] == [
            {"field": "password", "message": message, "type": "password_weak"}
        ]
    strong = {"email": "ada@example.com", "password": "analytical-engine-notes"}
    response = await client.post("/api/v1/users", json={**strong, **payloads.REGISTER_USER})
    assert response.status_code == 201


@requires("createProduct", "getProduct")
async def test_a_demoted_admin_no_longer_sees_drafts(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Any],
) -> None:
    draft = await make_product(status="draft")
    url = f"/api/v1/products/{draft['id']}"
    assert (await client.get(url, headers=admin_headers)).status_code == 200
    async with app.state.sessionmaker() as session:
        await session.execute(update(User).where(User.email == ADMIN_EMAIL).values(role="customer"))
        await session.commit()
    assert (await client.get(url, headers=admin_headers)).status_code == 404


@requires("getCurrentUser")
async def test_a_token_whose_subject_is_not_a_user_id_is_401(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    settings = app.state.settings
    now = datetime.now(UTC)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "x",
        "typ": "access",
    }
    secret = settings.jwt_secret.get_secret_value()
    for subject in ("admin", "-1", "0", str(2**63), "1e3"):
        token = jwt.encode({**claims, "sub": subject}, secret, "HS256")
        response = await client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, subject
        assert response.json()["code"] == 40101, subject


def test_fastapi_telemetry_only_where_opentelemetry_is_configured() -> None:
    off = native_telemetry({"PATH": "/usr/bin"})
    assert off == {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    assert native_telemetry({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}) == {}
    assert native_telemetry({"FASTAPI_OTEL_AUTO_CONFIGURE": "true"}) == {}


async def test_startup_objects_are_left_out_of_collections_while_serving(
    settings: Settings, engine: AsyncEngine
) -> None:
    app = create_app(settings)
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
