from datetime import UTC, datetime, timedelta

import httpx
import jwt
from fastapi import FastAPI

from tests import payloads
from tests.markers import requires

pytestmark = requires("registerUser", "createToken", "refreshToken", "getCurrentUser")
USERS = "/api/v1/users"
TOKENS = "/api/v1/auth/tokens"
REFRESH = "/api/v1/auth/tokens/refresh"
ME = "/api/v1/users/me"
CREDENTIALS = {"email": "Emma@Example.com", "password": "correct-horse-battery"}
REGISTRATION = {**CREDENTIALS, **payloads.REGISTER_USER}


async def _tokens(client: httpx.AsyncClient) -> dict[str, str]:
    assert (await client.post(USERS, json=REGISTRATION)).status_code == 201
    response = await client.post(TOKENS, json=CREDENTIALS)
    assert response.status_code == 201
    tokens: dict[str, str] = response.json()["data"]
    return tokens


async def test_register_login_and_me(client: httpx.AsyncClient) -> None:
    registered = await client.post(USERS, json={**REGISTRATION, "display_name": "Emma"})
    assert registered.status_code == 201
    user = registered.json()["data"]
    assert user["email"] == "emma@example.com"
    assert user["role"] == "customer"
    assert "password" not in registered.text

    login = await client.post(TOKENS, json=CREDENTIALS)
    assert login.status_code == 201
    tokens = login.json()["data"]
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900

    me = await client.get(ME, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["data"] == user


async def test_duplicate_email_is_409(client: httpx.AsyncClient) -> None:
    await client.post(USERS, json=REGISTRATION)
    again = await client.post(USERS, json={**REGISTRATION, "email": "emma@example.com"})
    assert again.status_code == 409
    assert again.json()["code"] == 40904


async def test_short_password_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(USERS, json={**REGISTRATION, "password": "short"})
    assert response.status_code == 422
    assert response.json()["data"]["errors"][0]["field"] == "password"


async def test_wrong_password_and_unknown_email_look_alike(client: httpx.AsyncClient) -> None:
    await client.post(USERS, json=REGISTRATION)
    wrong = await client.post(TOKENS, json={**CREDENTIALS, "password": "wrong-password"})
    unknown = await client.post(TOKENS, json={**CREDENTIALS, "email": "nobody@example.com"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == 40103


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    first = await _tokens(client)
    second = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()["data"]
    assert rotated["refresh_token"] != first["refresh_token"]

    reused = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == 40104
    # The reuse revoked the family: the rotated token is dead too.
    after = await client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401


async def test_access_token_is_not_a_refresh_token(client: httpx.AsyncClient) -> None:
    tokens = await _tokens(client)
    response = await client.post(REFRESH, json={"refresh_token": tokens["access_token"]})
    assert response.status_code == 401
    as_access = await client.get(ME, headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert as_access.status_code == 401


async def test_bad_tokens_are_401(app: FastAPI, client: httpx.AsyncClient) -> None:
    settings = app.state.settings
    secret = settings.jwt_secret.get_secret_value()
    now = datetime.now(UTC)
    claims = {
        "sub": "1",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "x",
        "typ": "access",
    }
    expired = jwt.encode({**claims, "exp": now - timedelta(minutes=5)}, secret, "HS256")
    cases = {
        "missing": (None, 40101),
        "garbage": ("not-a-jwt", 40101),
        "expired": (expired, 40102),
        "wrong key": (jwt.encode(claims, "another-secret-" * 4, "HS256"), 40101),
        "wrong audience": (jwt.encode({**claims, "aud": "other"}, secret, "HS256"), 40101),
        "no exp": (jwt.encode({k: v for k, v in claims.items() if k != "exp"}, secret), 40101),
        "alg none": (jwt.encode(claims, "", algorithm="none"), 40101),
    }
    for name, (token, code) in cases.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.get(ME, headers=headers)
        assert response.status_code == 401, name
        assert response.json()["code"] == code, name
        assert response.headers["WWW-Authenticate"] == "Bearer", name
