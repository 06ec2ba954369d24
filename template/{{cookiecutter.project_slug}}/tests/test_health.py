import httpx
import yaml

from app.api.contract import CONTRACT_PATH
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
