"""Accounts and token pairs. Refresh tokens rotate: each is spent once, in one transaction
with the issue of its successor; a spent one presented again revokes its family."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import operations as ops
from app.auth import contract_fields
from app.auth.models import RefreshToken, User
from app.auth.wechat import WechatIdentity
from app.core.db import utcnow
from app.core.errors import BadCredentials, BadRequest, Conflict, RefreshTokenReused, Unauthorized
from app.core.security import Passwords, TokenCodec

# Format `email` is not checked by the generated schemas (that needs email-validator).
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class EmailTaken(Conflict):
    msg = "An account with this email exists"


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):
        raise BadRequest("Not a valid email address")
    return email


class AuthService:
    def __init__(self, session: AsyncSession, codec: TokenCodec, passwords: Passwords) -> None:
        self.session = session
        self.codec = codec
        self.passwords = passwords

    async def register(
        self,
        email: str,
        password: str,
        display_name: str | None,
        *,
        role: str = "customer",
        fields: Mapping[str, Any] | None = None,
    ) -> User:
        """`fields` is the request body: the contract's own fields are taken from it."""
        user = User(
            email=normalise_email(email),
            password_hash=await self.passwords.hash(password),
            display_name=display_name or "",
            role=role,
            **contract_fields.column_values(fields or {}),
        )
        self.session.add(user)
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise EmailTaken() from None
        return user

    async def authenticate(self, email: str, password: str) -> User:
        user = await self.session.scalar(select(User).where(User.email == email.strip().lower()))
        known_hash = user.password_hash if user else None
        valid, new_hash = await self.passwords.verify(password, known_hash)
        if user is None or not valid:
            raise BadCredentials()
        if new_hash is not None:
            user.password_hash = new_hash
            await self.session.commit()
        return user

    async def issue_pair(self, user: User, family: str | None = None) -> ops.CreateTokenData:
        access, _ = self.codec.issue(str(user.id), "access", role=user.role)
        family = family or uuid.uuid4().hex
        refresh, claims = self.codec.issue(str(user.id), "refresh", family=family)
        self.session.add(
            RefreshToken(
                jti=claims.jti, family=family, user_id=user.id, expires_at=claims.expires_at
            )
        )
        await self.session.commit()
        return ops.CreateTokenData(
            access_token=access,
            refresh_token=refresh,
            token_type="bearer",
            expires_in=self.codec.access_ttl,
        )

    async def refresh(self, token: str) -> ops.CreateTokenData:
        claims = self.codec.decode(token, "refresh")
        now = utcnow()
        spent = await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.jti == claims.jti,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            await self.session.rollback()
            await self._revoke_family(claims.jti)
        user = await self.session.get(User, int(claims.subject))
        if user is None:
            await self.session.rollback()
            raise Unauthorized()
        return await self.issue_pair(user, family=claims.family)

    async def _revoke_family(self, jti: str) -> None:
        known = await self.session.get(RefreshToken, jti)
        if known is None:
            raise Unauthorized()
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family == known.family, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        await self.session.commit()
        raise RefreshTokenReused()

    async def wechat_user(self, identity: WechatIdentity) -> User:
        """The user behind a WeChat openid, created on first login."""
        query = select(User).where(
            User.wechat_app_id == identity.app_id, User.wechat_openid == identity.openid
        )
        user = await self.session.scalar(query)
        if user is None:
            user = User(
                wechat_app_id=identity.app_id,
                wechat_openid=identity.openid,
                wechat_unionid=identity.unionid,
            )
            self.session.add(user)
            try:
                await self.session.commit()
            except IntegrityError:  # the same user logging in twice at once
                await self.session.rollback()
                user = await self.session.scalar(query)
                if user is None:
                    raise
        elif identity.unionid and user.wechat_unionid != identity.unionid:
            user.wechat_unionid = identity.unionid
            await self.session.commit()
        return user
