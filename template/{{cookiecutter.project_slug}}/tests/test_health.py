import httpx
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.contract import CONTRACT_PATH
from app.core.config import Settings
from app.main import create_app
from tests.markers import requires


@requires("getHealth")
async def test_health_reports_database_and_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0
    assert body["data"]["database"] == "ok"
    assert body["data"]["redis"] == "disabled"
    assert body["data"]["status"] == "ok"


@requires("getProduct")
async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/products/123")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert 'route="/api/v1/products/{product_id}",status="404"' in response.text
    assert "http_request_duration_seconds_bucket" in response.text


async def test_openapi_json_is_the_contract(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))


@requires("getHealth")
async def test_health_is_503_when_redis_is_down(settings: Settings, engine: AsyncEngine) -> None:
    # Nothing listens on port 1: the ping fails at once, within the short Redis timeout.
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.json()
    assert body["code"] == 50301
    assert body["data"]["redis"] == "down"
    assert body["data"]["status"] == "degraded"


async def test_probes_answer_whatever_the_contract_says(client: httpx.AsyncClient) -> None:
    live = await client.get("/livez")
    assert (live.status_code, live.text) == (200, "live")
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready")


async def test_readiness_fails_while_redis_is_down(settings: Settings, engine: AsyncEngine) -> None:
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            live = await client.get("/livez")
            ready = await client.get("/readyz")
    # Liveness stays up: restarting the instance would not bring Redis back.
    assert live.status_code == 200
    assert (ready.status_code, ready.text) == (503, "redis down")
    assert ready.headers["Retry-After"] == "5"
