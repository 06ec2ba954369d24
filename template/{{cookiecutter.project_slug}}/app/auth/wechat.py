"""WeChat mini-program login: `jscode2session`, with WeChat's error codes made clear.

WeChat answers errors with HTTP 200 and an `errcode`; the `session_key` it returns never
leaves this module, nor reaches a log.
"""

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from app.core.errors import (
    BadCredentials,
    RateLimited,
    ShopError,
    UpstreamBusy,
    UpstreamError,
    UpstreamTimeout,
    WechatHighRisk,
)

logger = logging.getLogger(__name__)

SYSTEM_BUSY = -1
INVALID_CODE = 40029
CODE_USED = 40163
RATE_LIMITED = 45011
HIGH_RISK = 40226
BAD_APP_CREDENTIALS = frozenset({40013, 40125})
# The users table keeps 128 characters; WeChat's openids are 28.
OPENID_MAX_LENGTH = 128


@dataclass(frozen=True, slots=True)
class WechatIdentity:
    app_id: str
    openid: str
    unionid: str | None


class WechatCredentialsRejected(ShopError):
    msg = "WeChat rejected this service's app credentials"


class WechatClient:
    def __init__(self, http: httpx.AsyncClient, *, base_url: str, app_id: str, secret: str) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + "/sns/jscode2session"
        self.app_id = app_id
        self._secret = secret

    async def _call(self, js_code: str) -> dict[str, Any]:
        params = {
            "appid": self.app_id,
            "secret": self._secret,
            "js_code": js_code,
            "grant_type": "authorization_code",
        }
        try:
            response = await self._http.get(self._url, params=params)
        except httpx.TimeoutException:
            # No retry: WeChat may have spent the code already.
            raise UpstreamTimeout("WeChat did not answer in time") from None
        except httpx.HTTPError as error:
            logger.warning("jscode2session unreachable: %s", type(error).__name__)
            raise UpstreamError("WeChat could not be reached") from None
        if response.status_code != 200:
            logger.warning("jscode2session answered HTTP %s", response.status_code)
            raise UpstreamError("WeChat answered with an error")
        try:
            payload = json.loads(response.content)  # whatever the Content-Type says
        except ValueError:
            raise UpstreamError("WeChat answered something that is not JSON") from None
        if not isinstance(payload, dict):
            raise UpstreamError("WeChat answered something unexpected")
        return payload

    async def identify(self, js_code: str) -> WechatIdentity:
        """The openid (and unionid) behind a `wx.login` code."""
        payload = await self._call(js_code)
        if _errcode(payload) == SYSTEM_BUSY:
            payload = await self._call(js_code)
        errcode = _errcode(payload)
        if errcode == 0:
            openid = payload.get("openid")
            if not isinstance(openid, str) or not openid or len(openid) > OPENID_MAX_LENGTH:
                raise UpstreamError("WeChat answered without a usable openid")
            unionid = payload.get("unionid")
            return WechatIdentity(
                self.app_id, openid, unionid if isinstance(unionid, str) else None
            )
        raise _error_for(errcode, str(payload.get("errmsg", "")))


def _errcode(payload: dict[str, Any]) -> int:
    try:
        return int(payload.get("errcode") or 0)
    except (TypeError, ValueError):
        return -2


def _error_for(errcode: int, errmsg: str) -> ShopError:
    if errcode == SYSTEM_BUSY:
        return UpstreamBusy("WeChat is busy; retry shortly", headers={"Retry-After": "1"})
    if errcode in (INVALID_CODE, CODE_USED):
        return BadCredentials("WeChat login code is invalid or used; call wx.login again")
    if errcode == RATE_LIMITED:
        return RateLimited("WeChat login rate limit reached", headers={"Retry-After": "60"})
    if errcode == HIGH_RISK:
        return WechatHighRisk()
    if errcode in BAD_APP_CREDENTIALS:
        logger.error("WeChat rejected the app credentials: errcode %s %s", errcode, errmsg)
        return WechatCredentialsRejected()
    logger.warning("jscode2session failed: errcode %s %s", errcode, errmsg)
    return UpstreamError(f"WeChat login failed (errcode {errcode})")
