"""WeChat's shipping information for mini-program payments (发货信息管理).

WeChat holds the money of a mini-program payment until the parcel is reported with
`POST /wxa/sec/order/upload_shipping_info?access_token=...`. That call needs the
mini-program's `access_token`, which `AccessTokens` fetches from `POST /cgi-bin/stable_token`
(a token that stays the same for every caller until it expires, so instances never revoke
each other's), keeps until five minutes before it expires (in Redis when there is one, so
instances share it) and fetches again when WeChat says it is no longer valid.

Like every WeChat server API, both answer HTTP 200 with an `errcode` on failure. Which ones
are worth retrying (`busy`, a payment WeChat has not indexed yet, an expired token) and which
are final (a parcel WeChat refuses) is decided here; the retry schedule is `sync.py`'s.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from redis.exceptions import RedisError

from app.core.redis import RedisClient

logger = logging.getLogger(__name__)

TOKEN_PATH = "/cgi-bin/stable_token"
UPLOAD_PATH = "/wxa/sec/order/upload_shipping_info"
# Fetch a new token this long before the old one expires.
TOKEN_MARGIN_SECONDS = 300
# errcodes after which the same upload may succeed later.
BUSY = frozenset({-1, 10060012, 45009, 45011})
NOT_YET_INDEXED = 10060001  # "支付单不存在": WeChat indexes a payment up to a minute late
TOKEN_INVALID = frozenset({40001, 40014, 42001})

Outcome = Literal["synced", "retry", "failed"]


class TokenUnavailable(Exception):
    """No access_token could be had; the message says why (for the shipment's error)."""


@dataclass(frozen=True, slots=True)
class UploadResult:
    outcome: Outcome
    error: str | None = None


def _errcode(data: Any) -> int:
    """WeChat leaves `errcode` out on success."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return int(data.get("errcode") or 0)


class AccessTokens:
    """The mini-program's access_token, cached and refreshed."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        app_id: str,
        secret: str,
        redis: RedisClient | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 5.0,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._app_id = app_id
        self._secret = secret
        self._redis = redis
        self._clock = clock
        self._timeout = timeout
        self._token: str | None = None
        self._expires_at = 0.0
        self._refreshing = asyncio.Lock()
        self.fetched = 0

    @property
    def _key(self) -> str:
        return f"wechat:access_token:{self._app_id}"

    def _cached(self) -> str | None:
        if self._token is not None and self._clock() < self._expires_at - TOKEN_MARGIN_SECONDS:
            return self._token
        return None

    async def get(self) -> str:
        token = self._cached()
        if token is not None:
            return token
        async with self._refreshing:  # one fetch at a time; the others take its token
            token = self._cached() or await self._shared()
            return token if token is not None else await self._fetch()

    async def invalidate(self, token: str) -> None:
        """WeChat said `token` is no longer valid: forget it here and in Redis."""
        if self._token == token:
            self._token, self._expires_at = None, 0.0
        if self._redis is not None:
            try:
                cached = await self._redis.get(self._key)
                if cached is not None and json.loads(cached)["token"] == token:
                    await self._redis.delete(self._key)
            except (RedisError, OSError, ValueError, KeyError):
                pass

    async def _shared(self) -> str | None:
        if self._redis is None:
            return None
        try:
            cached = await self._redis.get(self._key)
        except (RedisError, OSError):
            return None
        if cached is None:
            return None
        try:
            found = json.loads(cached)
            token, expires_at = str(found["token"]), float(found["expires_at"])
        except (ValueError, KeyError, TypeError):
            return None
        if self._clock() >= expires_at - TOKEN_MARGIN_SECONDS:
            return None
        self._token, self._expires_at = token, expires_at
        return token

    async def _fetch(self) -> str:
        body = {
            "grant_type": "client_credential",
            "appid": self._app_id,
            "secret": self._secret,
            "force_refresh": False,
        }
        try:
            response = await self._http.post(
                self._base_url + TOKEN_PATH, json=body, timeout=self._timeout
            )
            data = json.loads(response.content)
            code = _errcode(data)
        except (httpx.HTTPError, ValueError) as error:
            raise TokenUnavailable(f"stable_token: {type(error).__name__}") from None
        if code != 0 or not data.get("access_token"):
            raise TokenUnavailable(f"stable_token errcode {code}: {data.get('errmsg', '')}")
        token = str(data["access_token"])
        expires_at = self._clock() + int(data.get("expires_in") or 7200)
        self._token, self._expires_at = token, expires_at
        self.fetched += 1
        if self._redis is not None:
            ttl = max(int(expires_at - self._clock()) - TOKEN_MARGIN_SECONDS, 1)
            value = json.dumps({"token": token, "expires_at": expires_at})
            try:
                await self._redis.set(self._key, value, ex=ttl)
            except (RedisError, OSError) as error:
                logger.warning("could not share the WeChat access_token in Redis: %s", error)
        return token


class ShippingUploader:
    """`upload_shipping_info`, with WeChat's answers sorted into synced, retry and failed."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: AccessTokens,
        *,
        base_url: str,
        mch_id: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._http = http
        self.tokens = tokens
        self._base_url = base_url.rstrip("/")
        self.mch_id = mch_id
        self._timeout = timeout

    async def upload(self, payload: dict[str, Any]) -> UploadResult:
        try:
            token = await self.tokens.get()
        except TokenUnavailable as error:
            return UploadResult("retry", str(error))
        try:
            response = await self._http.post(
                self._base_url + UPLOAD_PATH,
                params={"access_token": token},
                content=json.dumps(payload, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            return UploadResult("retry", f"upload_shipping_info: {type(error).__name__}")
        if response.status_code != 200:
            return UploadResult("retry", f"upload_shipping_info: HTTP {response.status_code}")
        try:
            data = json.loads(response.content)
            code = _errcode(data)
        except ValueError:
            return UploadResult("retry", "upload_shipping_info answered something not JSON")
        if code == 0:
            return UploadResult("synced")
        problem = f"errcode {code}: {data.get('errmsg', '')}"[:500]
        if code in TOKEN_INVALID:
            await self.tokens.invalidate(token)
            return UploadResult("retry", problem)
        if code in BUSY or code == NOT_YET_INDEXED:
            return UploadResult("retry", problem)
        return UploadResult("failed", problem)
