"""Handlers of the account and token operations."""

from __future__ import annotations

from pydantic import SecretStr

from app.api import operations as ops
from app.api.binding import Handler
from app.auth.dependencies import AuthServiceDep, CurrentUser, WechatClientDep
from app.core.envelope import Envelope, ok
from app.core.ratelimit import RateLimitsDep


def reveal(value: SecretStr | str) -> str:
    """The contract's `format: password` fields arrive as `SecretStr`, kept out of reprs."""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


async def register_user(
    body: ops.RegisterUserBody, auth: AuthServiceDep, limits: RateLimitsDep
) -> Envelope[ops.RegisterUserData]:
    await limits.hit("auth", "account", "email:" + body.email.strip().lower())
    password = reveal(body.password)
    display_name = getattr(body, "display_name", None)
    await auth.passwords.check_strength(password, body.email, display_name)
    user = await auth.register(body.email, password, display_name, fields=body.model_dump())
    return ok(ops.RegisterUserData.model_validate(user, from_attributes=True))


async def create_token(
    body: ops.CreateTokenBody, auth: AuthServiceDep, limits: RateLimitsDep
) -> Envelope[ops.CreateTokenData]:
    await limits.hit("auth", "account", "email:" + body.email.strip().lower())
    user = await auth.authenticate(body.email, reveal(body.password))
    return ok(await auth.issue_pair(user))


async def refresh_token(
    body: ops.RefreshTokenBody, auth: AuthServiceDep, limits: RateLimitsDep
) -> Envelope[ops.RefreshTokenData]:
    claims = auth.codec.decode(body.refresh_token, "refresh")
    await limits.hit("auth", "account", "user:" + claims.subject)
    return ok(await auth.refresh(body.refresh_token))


async def get_current_user(user: CurrentUser) -> Envelope[ops.GetCurrentUserData]:
    return ok(ops.GetCurrentUserData.model_validate(user, from_attributes=True))


async def create_wechat_session(
    body: ops.CreateWechatSessionBody,
    wechat: WechatClientDep,
    auth: AuthServiceDep,
    limits: RateLimitsDep,
) -> Envelope[ops.CreateWechatSessionData]:
    # A code names no account until WeChat has exchanged it: the per-IP limit comes first,
    # the account's own once the openid is known.
    identity = await wechat.identify(body.js_code)
    await limits.hit("auth", "account", "wechat:" + identity.openid)
    user = await auth.wechat_user(identity)
    return ok(await auth.issue_pair(user))


HANDLERS: dict[str, Handler] = {
    "registerUser": register_user,
    "createToken": create_token,
    "refreshToken": refresh_token,
    "getCurrentUser": get_current_user,
    "createWechatSession": create_wechat_session,
}
