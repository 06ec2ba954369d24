from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from app.auth.models import User
from app.auth.service import AuthService
from app.auth.wechat import WechatClient
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.errors import Forbidden, NotImplementedYet, Unauthorized
from app.core.security import TokenCodec

_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_token_codec(request: Request) -> TokenCodec:
    codec: TokenCodec = request.app.state.token_codec
    return codec


TokenCodecDep = Annotated[TokenCodec, Depends(get_token_codec)]


async def get_auth_service(
    request: Request, session: SessionDep, codec: TokenCodecDep
) -> AuthService:
    return AuthService(session, codec, request.app.state.passwords)


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]


async def get_wechat_client(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> WechatClient:
    if not settings.wechat_enabled:
        raise NotImplementedYet("WeChat login is not configured on this server")
    assert settings.wechat_app_id is not None and settings.wechat_app_secret is not None
    return WechatClient(
        request.app.state.http,
        base_url=settings.wechat_api_base,
        app_id=settings.wechat_app_id,
        secret=settings.wechat_app_secret.get_secret_value(),
    )


WechatClientDep = Annotated[WechatClient, Depends(get_wechat_client)]


async def get_current_user(
    credentials: Credentials, codec: TokenCodecDep, session: SessionDep
) -> User:
    if credentials is None:
        raise Unauthorized("Missing bearer token")
    claims = codec.decode(credentials.credentials, "access")
    user = await session.get(User, int(claims.subject))
    if user is None:
        raise Unauthorized()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_admin(user: CurrentUser) -> User:
    if user.role != "admin":
        raise Forbidden("Admins only")
    return user


CurrentAdmin = Annotated[User, Depends(get_current_admin)]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, as far as the hot paths need to know: no row loaded."""

    user_id: int
    admin: bool


async def _role_in_database(session: SessionDep, user_id: int) -> str | None:
    role: str | None = await session.scalar(select(User.role).where(User.id == user_id))
    return role


async def get_principal(
    credentials: Credentials, codec: TokenCodecDep, session: SessionDep
) -> Principal:
    """The signed-in caller from the token's verified claims. A token that grants no more
    than a customer may do is trusted as it stands (accounts are never deleted, and a
    promotion shows at the next sign-in); one that claims the admin role is checked against
    the database, so an admin demoted a minute ago is a customer again."""
    if credentials is None:
        raise Unauthorized("Missing bearer token")
    claims = codec.decode(credentials.credentials, "access")
    user_id = int(claims.subject)
    if claims.role is not None and claims.role != "admin":
        return Principal(user_id, admin=False)
    role = await _role_in_database(session, user_id)
    if role is None:
        raise Unauthorized()
    return Principal(user_id, admin=role == "admin")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_viewer_role(
    credentials: Credentials, codec: TokenCodecDep, session: SessionDep
) -> str | None:
    """The viewer's role, if a valid access token names one: public reads show admins hidden
    products. A bad token on a public read is treated as no token. An admin token is checked
    against the database, so an admin demoted a minute ago no longer sees drafts."""
    if credentials is None:
        return None
    try:
        claims = codec.decode(credentials.credentials, "access")
    except Unauthorized:
        return None
    if claims.role != "admin":
        return claims.role
    return await _role_in_database(session, int(claims.subject))


ViewerRole = Annotated[str | None, Depends(get_viewer_role)]
