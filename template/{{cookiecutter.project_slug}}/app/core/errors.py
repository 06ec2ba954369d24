"""The error table and the handlers that put every failure in the envelope.

| code  | HTTP | meaning                                        |
|-------|------|------------------------------------------------|
| 0     | 2xx  | success                                        |
| 40001 | 400  | bad request                                    |
| 40101 | 401  | missing or bad token                           |
| 40102 | 401  | token expired (refresh it)                     |
| 40103 | 401  | bad credentials (password or WeChat code)      |
| 40104 | 401  | refresh token reused: its family is revoked    |
| 40301 | 403  | forbidden                                      |
| 40302 | 403  | WeChat high-risk user                          |
| 40401 | 404  | not found                                      |
| 40501 | 405  | method not allowed                             |
| 40901 | 409  | out of stock; `data.errors` names the line     |
| 40902 | 409  | illegal state transition                       |
| 40903 | 409  | a request with this Idempotency-Key is running |
| 40904 | 409  | conflict (email, sku or tracking number taken) |
| 40905 | 409  | too many unpaid orders or units held           |
| 40906 | 409  | refund exceeds what is left to refund          |
| 40907 | 409  | shipment exceeds what is left to ship          |
| 40908 | 409  | a limit is reached (addresses, last variant)   |
| 41301 | 413  | request body too large (MAX_BODY_BYTES)        |
| 42201 | 422  | validation failed; `data.errors` lists fields  |
| 42202 | 422  | Idempotency-Key reused with a different body   |
| 42203 | 422  | the body names another user's or order's thing |
| 42901 | 429  | rate limited (see Retry-After)                 |
| 50001 | 500  | internal error (details only in the logs)      |
| 50101 | 501  | operation not implemented yet                  |
| 50201 | 502  | upstream error                                 |
| 50301 | 503  | service or stock backend unavailable           |
| 50302 | 503  | upstream or database busy (see Retry-After)    |
| 50401 | 504  | upstream timeout                               |
"""

import logging
from collections.abc import Mapping
from enum import IntEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)


class Code(IntEnum):
    OK = 0
    BAD_REQUEST = 40001
    UNAUTHORIZED = 40101
    TOKEN_EXPIRED = 40102
    BAD_CREDENTIALS = 40103
    REFRESH_TOKEN_REUSED = 40104
    FORBIDDEN = 40301
    WECHAT_HIGH_RISK = 40302
    NOT_FOUND = 40401
    METHOD_NOT_ALLOWED = 40501
    OUT_OF_STOCK = 40901
    ILLEGAL_TRANSITION = 40902
    IDEMPOTENCY_IN_PROGRESS = 40903
    CONFLICT = 40904
    HOLD_LIMIT = 40905
    REFUND_EXCEEDS = 40906
    SHIPMENT_EXCEEDS = 40907
    LIMIT_REACHED = 40908
    PAYLOAD_TOO_LARGE = 41301
    VALIDATION_FAILED = 42201
    IDEMPOTENCY_KEY_REUSED = 42202
    FOREIGN_REFERENCE = 42203
    RATE_LIMITED = 42901
    INTERNAL = 50001
    NOT_IMPLEMENTED = 50101
    UPSTREAM_ERROR = 50201
    UNAVAILABLE = 50301
    UPSTREAM_BUSY = 50302
    UPSTREAM_TIMEOUT = 50401


class ShopError(Exception):
    """An error the service answers on purpose: an HTTP status, a code and a message."""

    status_code = 500
    code = Code.INTERNAL
    msg = "Internal server error"

    def __init__(
        self,
        msg: str | None = None,
        *,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(msg or self.msg)
        self.msg = msg or self.msg
        self.data = data
        self.headers = dict(headers or {})


class BadRequest(ShopError):
    status_code, code, msg = 400, Code.BAD_REQUEST, "Bad request"


class Unauthorized(ShopError):
    status_code, code, msg = 401, Code.UNAUTHORIZED, "Missing or invalid token"

    def __init__(self, msg: str | None = None, **kwargs: Any) -> None:
        super().__init__(msg, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class TokenExpired(Unauthorized):
    code, msg = Code.TOKEN_EXPIRED, "Token expired"


class BadCredentials(Unauthorized):
    code, msg = Code.BAD_CREDENTIALS, "Incorrect email or password"


class RefreshTokenReused(Unauthorized):
    code, msg = Code.REFRESH_TOKEN_REUSED, "Refresh token already used; sign in again"


class Forbidden(ShopError):
    status_code, code, msg = 403, Code.FORBIDDEN, "Not allowed"


class WechatHighRisk(ShopError):
    status_code, code, msg = 403, Code.WECHAT_HIGH_RISK, "WeChat blocked this user as high risk"


class NotFound(ShopError):
    status_code, code, msg = 404, Code.NOT_FOUND, "Not found"


class Conflict(ShopError):
    status_code, code, msg = 409, Code.CONFLICT, "Conflict"


class LimitReached(ShopError):
    status_code, code, msg = 409, Code.LIMIT_REACHED, "Limit reached"


def field_error(field: str, message: str, kind: str) -> dict[str, str]:
    """One entry of `data.errors`, the shape the contract's `FieldError` gives it."""
    return {"field": field, "message": message, "type": kind}


class FieldErrors(ShopError):
    """A 422 naming the offending fields in `data.errors`."""

    status_code, code, msg = 422, Code.VALIDATION_FAILED, "Validation failed"

    def __init__(self, errors: list[dict[str, str]], msg: str | None = None) -> None:
        super().__init__(msg, data={"errors": errors})


class ForeignReference(FieldErrors):
    """The body names something that exists but is not the caller's or this resource's: an
    address of another user, a variant of another product, a line of another order."""

    code, msg = Code.FOREIGN_REFERENCE, "The body names something that is not yours"


class RateLimited(ShopError):
    status_code, code, msg = 429, Code.RATE_LIMITED, "Too many requests"


class NotImplementedYet(ShopError):
    status_code, code, msg = 501, Code.NOT_IMPLEMENTED, "Not implemented"


class UpstreamError(ShopError):
    status_code, code, msg = 502, Code.UPSTREAM_ERROR, "Upstream service error"


class Unavailable(ShopError):
    status_code, code, msg = 503, Code.UNAVAILABLE, "Service unavailable"


class UpstreamBusy(ShopError):
    status_code, code, msg = 503, Code.UPSTREAM_BUSY, "Upstream service busy; retry later"


class DatabaseUnavailable(ShopError):
    status_code, code, msg = 503, Code.UPSTREAM_BUSY, "Database unavailable"
    retry_after = 5

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": str(self.retry_after)})


class UpstreamTimeout(ShopError):
    status_code, code, msg = 504, Code.UPSTREAM_TIMEOUT, "Upstream service timed out"


_STATUS_CODES: Mapping[int, Code] = {
    400: Code.BAD_REQUEST,
    401: Code.UNAUTHORIZED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    405: Code.METHOD_NOT_ALLOWED,
    409: Code.CONFLICT,
    413: Code.PAYLOAD_TOO_LARGE,
    422: Code.VALIDATION_FAILED,
    429: Code.RATE_LIMITED,
    501: Code.NOT_IMPLEMENTED,
    503: Code.UNAVAILABLE,
}


def envelope_response(
    status_code: int,
    code: int,
    msg: str,
    data: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"code": int(code), "data": jsonable_encoder(data), "msg": msg}
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}))


async def _shop_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ShopError)
    return envelope_response(exc.status_code, exc.code, exc.msg, exc.data, exc.headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, exc.status_code * 100 + 1)
    return envelope_response(exc.status_code, code, str(exc.detail), None, exc.headers)


def database_unreachable(error: BaseException) -> bool:
    """Whether an error says the database cannot be reached (down, restarting, the pool
    exhausted), as opposed to a query the database refused."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, ConnectionError | TimeoutError)


async def _database_error(_: Request, exc: Exception) -> JSONResponse:
    if not database_unreachable(exc):
        raise exc
    logger.warning("database unavailable: %s", exc.__class__.__name__)
    unavailable = DatabaseUnavailable()
    return envelope_response(
        unavailable.status_code, unavailable.code, unavailable.msg, None, unavailable.headers
    )


def _field(loc: tuple[Any, ...]) -> str:
    """Body fields bare (`items.0.quantity`), parameters by location (`query.limit`)."""
    if loc and loc[0] == "body":
        loc = loc[1:]
    return ".".join(str(part) for part in loc) or "body"


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 for input that does not match the contract; 400 for a body that is not JSON at all
    (or a JSON the service refuses to guess at: a duplicate key, NaN, a NUL)."""
    assert isinstance(exc, RequestValidationError)
    malformed = [e for e in exc.errors() if e.get("type") == "json_invalid"]
    if malformed:
        reason = str((malformed[0].get("ctx") or {}).get("error") or "Malformed JSON")
        error = {"field": "body", "message": reason, "type": "json_invalid"}
        return envelope_response(400, Code.BAD_REQUEST, "Malformed JSON", {"errors": [error]})
    errors = [
        {"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", ""), "type": e["type"]}
        for e in exc.errors()
    ]
    return envelope_response(422, Code.VALIDATION_FAILED, "Validation failed", {"errors": errors})


class CatchUnhandled:
    """Answer any exception that escaped the app as a 500 envelope; the traceback goes to
    the log, never to the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = envelope_response(500, Code.INTERNAL, "Internal server error")
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ShopError, _shop_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    # PostgreSQL down or restarting: 503 with Retry-After, not a 500 (see DatabaseUnavailable).
    for unreachable in (DBAPIError, PoolTimeout, ConnectionError, TimeoutError):
        app.add_exception_handler(unreachable, _database_error)
