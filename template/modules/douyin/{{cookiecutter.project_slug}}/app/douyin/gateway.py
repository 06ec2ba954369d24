"""Signed calls to the Douyin Shop open platform, with timeouts, retries and quiet logs.

One call is `POST {DOUYIN_API_BASE}/{a}/{b}?app_key&method=a.b&access_token&timestamp&v=2
&sign_method&sign` with `param_json` as the body. Retries, with exponential backoff and full
jitter, happen only for errors that say nothing was done (busy, rate limited) or, for calls
that are safe to repeat, that no answer came back. Token calls are not safe to repeat after a
lost answer: the code or refresh token may already be spent.

Logs carry the method, the attempt, the outcome, Douyin's code and `log_id`, and the time
taken, as `key=value` pairs; never the app secret, a token, the signature or the parameters
(they hold buyers' data).
"""

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from app.douyin import errors, signing
from app.douyin.config import DouyinSettings

logger = logging.getLogger(__name__)

BEIJING = timezone(timedelta(hours=8))
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DouyinGateway:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: DouyinSettings,
        *,
        clock: Clock = _utcnow,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not settings.app_key or settings.app_secret is None:
            raise ValueError("DOUYIN_APP_KEY and DOUYIN_APP_SECRET are required")
        self._http = http
        self._settings = settings
        self._app_key = settings.app_key
        self._secret = settings.app_secret.get_secret_value()
        self._base = settings.api_base.rstrip("/")
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()

    def timestamp(self) -> str:
        return self._clock().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to base * 2^(attempt-1), capped."""
        ceiling = min(self._settings.retry_cap, self._settings.retry_base * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)

    async def call(
        self,
        method: str,
        params: Mapping[str, Any],
        *,
        access_token: str | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """The `data` of a successful answer; a `DouyinError` otherwise."""
        body = signing.param_json(params, ascii_only=self._settings.ascii_param_json)
        attempts = self._settings.max_attempts
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                data = await self._once(method, body, access_token)
            except errors.DouyinError as error:
                retry = error.retryable and attempt < attempts
                if isinstance(error, errors.DouyinTransportError) and not idempotent:
                    retry = False
                self._log(method, attempt, error, started, retrying=retry)
                if not retry:
                    raise
                await self._sleep(self.backoff(attempt))
            else:
                self._log(method, attempt, None, started, retrying=False)
                return data
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, body: str, access_token: str | None) -> dict[str, Any]:
        timestamp = self.timestamp()
        query = {
            "app_key": self._app_key,
            "method": method,
            "timestamp": timestamp,
            "v": signing.VERSION,
            "sign_method": self._settings.sign_method,
            "sign": signing.sign(
                self._settings.sign_method,
                app_key=self._app_key,
                secret=self._secret,
                method=method,
                params_json=body,
                timestamp=timestamp,
            ),
        }
        if access_token is not None:
            query["access_token"] = access_token
        url = f"{self._base}/{method.replace('.', '/')}"
        try:
            response = await self._http.post(
                url,
                params=query,
                content=body.encode(),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                timeout=self._settings.timeout,
            )
        except httpx.TimeoutException as error:
            raise errors.DouyinTimeout(
                f"{method}: no answer in {self._settings.timeout}s"
            ) from error
        except httpx.TransportError as error:
            raise errors.DouyinTransportError(f"{method}: {type(error).__name__}") from error
        return _data(method, response)

    def _log(
        self,
        method: str,
        attempt: int,
        error: errors.DouyinError | None,
        started: float,
        *,
        retrying: bool,
    ) -> None:
        elapsed_ms = round((time.monotonic() - started) * 1000)
        if error is None:
            logger.info(
                "douyin call method=%s attempt=%d outcome=ok ms=%d", method, attempt, elapsed_ms
            )
            return
        code = getattr(error, "code", "")
        sub_code = getattr(error, "sub_code", "")
        log_id = getattr(error, "log_id", None) or ""
        logger.warning(
            "douyin call method=%s attempt=%d outcome=%s code=%s sub_code=%s log_id=%s "
            "ms=%d retrying=%s",
            method,
            attempt,
            type(error).__name__,
            code,
            sub_code,
            log_id,
            elapsed_ms,
            "yes" if retrying else "no",
        )


def _data(method: str, response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 429:
        raise errors.DouyinRateLimited(429, "http.429", "rate limited")
    if response.status_code >= 500:
        raise errors.DouyinUnavailable(response.status_code, "http.5xx", "gateway error")
    try:
        payload = response.json()
    except json.JSONDecodeError:
        # Not the gateway's envelope (a proxy's page): trying again would meet it again.
        raise errors.DouyinBusinessError(
            response.status_code, "http.not-json", f"{method}: the answer is not JSON"
        ) from None
    if not isinstance(payload, dict):
        raise errors.DouyinUnavailable(
            response.status_code, "http.not-object", f"{method}: the answer is not an object"
        )
    succeeded, code, sub_code, message, log_id = errors.from_envelope(payload)
    if not succeeded:
        raise errors.classify(code, sub_code, message, log_id)
    data = payload.get("data")
    return data if isinstance(data, dict) else {}
