"""Every failure answers in the envelope, with no stack trace."""

import httpx
from fastapi import FastAPI

from tests.markers import requires


async def test_unknown_path_is_404_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"code": 40401, "data": None, "msg": "Not Found"}


@requires("listProducts")
async def test_wrong_method_is_405_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/products")
    assert response.status_code == 405
    assert response.json()["code"] == 40501


@requires("listProducts")
async def test_validation_errors_list_fields(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/products", params={"limit": 1000, "page": 0})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == 42201
    assert body["msg"] == "Validation failed"
    fields = {error["field"] for error in body["data"]["errors"]}
    assert fields == {"query.limit", "query.page"}


@requires("createProduct")
async def test_malformed_json_is_400_in_the_envelope(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/products",
        content=b"{not json",
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == 40001


async def test_unhandled_error_is_500_without_details(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"code": 50001, "data": None, "msg": "Internal server error"}
    assert "secret" not in response.text


@requires("receiveWechatPayNotification")
async def test_wechat_pay_notifications_without_wechat_pay_are_501(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/payments/wechat/notifications", content=b"{}")
    assert response.status_code == 501
    assert response.json() == {
        "code": 50101,
        "data": None,
        "msg": "WeChat Pay is not configured on this server",
    }
