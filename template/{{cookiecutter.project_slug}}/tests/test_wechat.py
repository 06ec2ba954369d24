"""WeChat login against a fake jscode2session (httpx MockTransport): no network."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.auth.dependencies import get_wechat_client
from app.auth.wechat import WechatClient
from tests.markers import requires

pytestmark = requires("createWechatSession", "getCurrentUser")

SESSIONS = "/api/v1/auth/wechat-sessions"


@pytest.fixture
def wechat(app: FastAPI) -> Callable[..., list[httpx.Request]]:
    """Answer jscode2session with the given payloads, in order; returns the requests seen."""

    def install(*answers: dict[str, Any] | Exception) -> list[httpx.Request]:
        seen: list[httpx.Request] = []
        queue = list(answers)

        def respond(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            answer = queue.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return httpx.Response(200, json=answer, headers={"Content-Type": "text/plain"})

        http = httpx.AsyncClient(transport=httpx.MockTransport(respond))
        client = WechatClient(
            http, base_url="https://wechat.test", app_id="wx-test-app", secret="s3cret"
        )
        app.dependency_overrides[get_wechat_client] = lambda: client
        return seen

    return install


async def test_first_login_creates_the_user_and_never_leaks_session_key(
    client: httpx.AsyncClient, wechat: Callable[..., list[httpx.Request]]
) -> None:
    answer = {"openid": "o-123", "session_key": "SESSION-KEY", "unionid": "u-9"}
    seen = wechat(answer, answer)
    first = await client.post(SESSIONS, json={"js_code": "code-1"})
    assert first.status_code == 201, first.text
    assert "SESSION-KEY" not in first.text
    assert seen[0].url.path == "/sns/jscode2session"
    assert dict(seen[0].url.params) == {
        "appid": "wx-test-app",
        "secret": "s3cret",
        "js_code": "code-1",
        "grant_type": "authorization_code",
    }
    token = first.json()["data"]["access_token"]
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    user = me.json()["data"]
    assert user["email"] is None

    second = await client.post(SESSIONS, json={"js_code": "code-2"})
    token = second.json()["data"]["access_token"]
    again = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert again.json()["data"]["id"] == user["id"]


@pytest.mark.parametrize(
    ("errcode", "status", "code"),
    [
        (40029, 401, 40103),
        (40163, 401, 40103),
        (45011, 429, 42901),
        (40226, 403, 40302),
        (40013, 500, 50001),
        (99999, 502, 50201),
    ],
)
async def test_wechat_errors_become_clear_envelopes(
    client: httpx.AsyncClient,
    wechat: Callable[..., list[httpx.Request]],
    errcode: int,
    status: int,
    code: int,
) -> None:
    wechat({"errcode": errcode, "errmsg": "nope"})
    response = await client.post(SESSIONS, json={"js_code": "bad"})
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_system_busy_is_retried_once_then_503(
    client: httpx.AsyncClient, wechat: Callable[..., list[httpx.Request]]
) -> None:
    seen = wechat({"errcode": -1}, {"errcode": -1})
    response = await client.post(SESSIONS, json={"js_code": "busy"})
    assert len(seen) == 2
    assert response.status_code == 503
    assert response.json()["code"] == 50302
    assert response.headers["Retry-After"] == "1"


async def test_timeout_is_504_and_not_retried(
    client: httpx.AsyncClient, wechat: Callable[..., list[httpx.Request]]
) -> None:
    seen = wechat(httpx.ReadTimeout("slow"))
    response = await client.post(SESSIONS, json={"js_code": "slow"})
    assert len(seen) == 1
    assert response.status_code == 504
    assert response.json()["code"] == 50401


async def test_missing_js_code_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(SESSIONS, json={})
    assert response.status_code == 422
    assert response.json()["data"]["errors"][0]["field"] == "js_code"
