import httpx


async def test_health_reports_database_and_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0
    assert body["data"]["database"] == "ok"
    assert body["data"]["redis"] == "disabled"
    assert body["data"]["status"] == "ok"


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/products/123")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert 'route="/api/v1/products/{product_id}"' in response.text
    assert "http_request_duration_seconds_bucket" in response.text


async def test_openapi_json_is_the_contract(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    contract = response.json()
    assert contract["openapi"].startswith("3.")
    assert "/api/v1/products" in contract["paths"]
