"""Credentials: who may call an operation, and the tokens a stateful mock hands out."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from shopgen.contract import Contract, Operation

from ._exchange import MockRequest

__all__ = ["TokenBook", "TokenPair", "bearer_token", "has_credentials"]


def bearer_token(request: MockRequest) -> str | None:
    header = request.header("authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def has_credentials(contract: Contract, operation: Operation, request: MockRequest) -> bool:
    """Whether the request carries what one of the operation's security requirements names.

    Only presence is checked here; a stateful mock also checks the bearer tokens it issued.
    """
    requirements = operation.security
    if not requirements or {} in requirements:
        return True
    schemes = contract.components("securitySchemes")
    return any(
        all(_present(contract.deref(schemes.get(name)), request) for name in requirement)
        for requirement in requirements
    )


def _present(scheme: object, request: MockRequest) -> bool:
    if not isinstance(scheme, dict):
        return False
    kind = scheme.get("type")
    if kind == "apiKey":
        name = str(scheme.get("name", ""))
        where = scheme.get("in")
        if where == "header":
            return bool(request.header(name))
        if where == "query":
            return bool(request.query.get(name))
        cookies = request.header("cookie") or ""
        return any(part.strip().startswith(f"{name}=") for part in cookies.split(";"))
    if kind == "http" and str(scheme.get("scheme", "")).lower() != "bearer":
        wanted = str(scheme.get("scheme", "")).lower()
        return (request.header("authorization") or "").lower().startswith(f"{wanted} ")
    return bearer_token(request) is not None


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


Verdict = Literal["valid", "expired", "unknown"]
RefreshVerdict = Literal["unknown", "reused"]


class TokenBook:
    """Opaque tokens with lifetimes, refresh tokens spendable once per family, as the service
    treats its JWTs: an expired access token is told apart from an unknown one (40102 vs
    40101) and a refresh token spent twice revokes its family (40104)."""

    def __init__(self, ttl: int, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._access: dict[str, float] = {}
        self._refresh: dict[str, tuple[str, bool]] = {}
        self._revoked: set[str] = set()

    def issue(self, family: str | None = None) -> TokenPair:
        with self._lock:
            return self._issue(family or secrets.token_hex(8))

    def _issue(self, family: str) -> TokenPair:
        access = f"mock-access.{secrets.token_urlsafe(18)}"
        refresh = f"mock-refresh.{secrets.token_urlsafe(18)}"
        self._access[access] = self._clock() + self.ttl
        self._refresh[refresh] = (family, False)
        return TokenPair(access, refresh, self.ttl)

    def check(self, token: str | None) -> Verdict:
        with self._lock:
            expires = self._access.get(token or "")
        if expires is None:
            return "unknown"
        return "valid" if self._clock() < expires else "expired"

    def refresh(self, token: str) -> TokenPair | RefreshVerdict:
        with self._lock:
            found = self._refresh.get(token)
            if found is None:
                return "unknown"
            family, spent = found
            if family in self._revoked:
                return "unknown"
            if spent:
                self._revoked.add(family)
                return "reused"
            self._refresh[token] = (family, True)
            return self._issue(family)
