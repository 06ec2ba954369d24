"""Passwords (Argon2id) and JWTs (PyJWT, explicit algorithms, required claims)."""

import asyncio
import logging
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from zxcvbn import zxcvbn

from app.core.config import Settings, is_placeholder
from app.core.errors import Code, ShopError, TokenExpired, Unauthorized

logger = logging.getLogger(__name__)

TokenType = Literal["access", "refresh"]
LEEWAY_SECONDS = 10
# Subjects are user ids: positive and within a BIGINT, so they never reach SQL otherwise.
SUBJECT = re.compile(r"[1-9][0-9]{0,18}")
MAX_ID = 2**63 - 1
# zxcvbn refuses longer input; a password that long is judged by its first 72 characters.
ZXCVBN_MAX_LENGTH = 72
# Access tokens whose signature and claims were checked, kept by their exact text.
VERIFIED_TOKENS = 8192


class WeakPassword(ShopError):
    """A new password that is easy to guess: 422 like any invalid field."""

    status_code, code, msg = 422, Code.VALIDATION_FAILED, "Validation failed"

    def __init__(self, reason: str) -> None:
        error = {"field": "password", "message": reason, "type": "password_weak"}
        super().__init__(data={"errors": [error]})


class Passwords:
    """Argon2id hashing off the event loop. The defaults (t=3, m=64 MiB, p=4) are above
    OWASP's floor (t=2, m=19 MiB, p=1); tests lower them through settings."""

    def __init__(self, settings: Settings) -> None:
        hasher = Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._hash = PasswordHash((hasher,))
        self._dummy: str | None = None
        self._min_score = settings.password_min_score

    async def check_strength(self, password: str, email: str, *hints: str | None) -> None:
        """Refuse a new password that contains the email or that zxcvbn scores below
        `PASSWORD_MIN_SCORE` (common passwords, keyboard walks, the user's own name)."""
        email = email.strip().lower()
        if email and email in password.lower():
            raise WeakPassword("The password may not contain the email address.")
        inputs = [email, email.split("@", 1)[0], *(hint for hint in hints if hint)]
        result = await asyncio.to_thread(zxcvbn, password[:ZXCVBN_MAX_LENGTH], inputs)
        if int(result["score"]) < self._min_score:
            warning = str(result["feedback"].get("warning") or "").strip()
            raise WeakPassword(warning or "This password is too easy to guess.")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """Whether the password matches, and a new hash when the parameters changed.

        Unknown users verify against a dummy hash, so a login takes as long whether or not
        the account exists."""
        if password_hash is None:
            if self._dummy is None:
                self._dummy = await self.hash(secrets.token_urlsafe(16))
            await asyncio.to_thread(self._hash.verify, password, self._dummy)
            return False, None
        return await asyncio.to_thread(self._hash.verify_and_update, password, password_hash)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str
    token_type: TokenType
    jti: str
    family: str | None
    expires_at: datetime
    role: str | None = None


class TokenCodec:
    """Issues and checks this service's JWTs.

    An access token is checked in full once per process: its text is then remembered with
    its claims, and until it expires the same text is trusted without checking the
    signature again (the text cannot change, so neither can the verdict). Every signed-in
    request pays a dictionary lookup instead of an HMAC and a claims check."""

    def __init__(self, settings: Settings) -> None:
        secret = settings.jwt_secret
        if is_placeholder(secret):
            # Only reachable in development (settings refuse it elsewhere): tokens then last
            # as long as the process.
            logger.warning("JWT_SECRET is not set; using a random key for this process")
            self._key = secrets.token_urlsafe(48)
        else:
            assert secret is not None
            self._key = secret.get_secret_value()
        self._algorithm = settings.jwt_algorithm
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self.access_ttl = settings.jwt_access_ttl
        self.refresh_ttl = settings.jwt_refresh_ttl
        self._verified: dict[str, tuple[float, TokenClaims]] = {}

    def issue(
        self,
        subject: str,
        token_type: TokenType,
        *,
        family: str | None = None,
        role: str | None = None,
    ) -> tuple[str, TokenClaims]:
        now = datetime.now(UTC)
        ttl = self.access_ttl if token_type == "access" else self.refresh_ttl
        claims = TokenClaims(
            subject=subject,
            token_type=token_type,
            jti=uuid.uuid4().hex,
            family=family,
            expires_at=now + timedelta(seconds=ttl),
            role=role,
        )
        payload: dict[str, Any] = {
            "sub": subject,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": claims.expires_at,
            "jti": claims.jti,
            "typ": token_type,
        }
        if family is not None:
            payload["fam"] = family
        if role is not None:
            payload["role"] = role
        return jwt.encode(payload, self._key, algorithm=self._algorithm), claims

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        if expected != "access":
            return self._decode(token, expected)
        known = self._verified.get(token)
        if known is not None:
            expires, claims = known
            if time.time() < expires:
                return claims
            del self._verified[token]
            raise TokenExpired()
        claims = self._decode(token, expected)
        if len(self._verified) >= VERIFIED_TOKENS:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = (claims.expires_at.timestamp() + LEEWAY_SECONDS, claims)
        return claims

    def _decode(self, token: str, expected: TokenType) -> TokenClaims:
        required = ["exp", "iat", "sub", "iss", "aud", "jti"]
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[self._algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": required},
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpired() from None
        except jwt.PyJWTError:
            raise Unauthorized() from None
        if payload.get("typ") != expected:
            raise Unauthorized(f"Expected a {expected} token")
        subject = payload["sub"]
        if not isinstance(subject, str) or not SUBJECT.fullmatch(subject) or int(subject) > MAX_ID:
            raise Unauthorized()
        family = payload.get("fam")
        if expected == "refresh" and not isinstance(family, str):
            raise Unauthorized()
        return TokenClaims(
            subject=subject,
            token_type=expected,
            jti=str(payload["jti"]),
            family=family if isinstance(family, str) else None,
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
            role=payload.get("role") if isinstance(payload.get("role"), str) else None,
        )
