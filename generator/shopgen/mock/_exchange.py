"""One request and its answer, and the `{code, data, msg}` envelope errors wear.

The result codes are the generated service's (`app/core/errors.py` in the template), so a
front end that handles the mock's errors handles the service's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import IntEnum
from http import HTTPStatus
from typing import Any

__all__ = ["Code", "FieldError", "MockRequest", "MockResponse", "envelope_error"]


class Code(IntEnum):
    OK = 0
    BAD_REQUEST = 40001
    UNAUTHORIZED = 40101
    TOKEN_EXPIRED = 40102
    BAD_CREDENTIALS = 40103
    REFRESH_TOKEN_REUSED = 40104
    FORBIDDEN = 40301
    NOT_FOUND = 40401
    METHOD_NOT_ALLOWED = 40501
    OUT_OF_STOCK = 40901
    ILLEGAL_TRANSITION = 40902
    IDEMPOTENCY_IN_PROGRESS = 40903
    CONFLICT = 40904
    VALIDATION_FAILED = 42201
    IDEMPOTENCY_KEY_REUSED = 42202
    RATE_LIMITED = 42901
    INTERNAL = 50001
    NOT_IMPLEMENTED = 50101
    UNAVAILABLE = 50301

    @classmethod
    def for_status(cls, status: int) -> int:
        """The code the service gives a bare HTTP error: its table's, else status*100+1."""
        return _STATUS_CODES.get(status, status * 100 + 1)


_STATUS_CODES = {
    400: Code.BAD_REQUEST,
    401: Code.UNAUTHORIZED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    405: Code.METHOD_NOT_ALLOWED,
    409: Code.CONFLICT,
    422: Code.VALIDATION_FAILED,
    429: Code.RATE_LIMITED,
    501: Code.NOT_IMPLEMENTED,
    503: Code.UNAVAILABLE,
}


@dataclass(frozen=True)
class FieldError:
    """One entry of `data.errors`: body fields bare, parameters prefixed by location."""

    field: str
    message: str
    type: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "type": self.type}


@dataclass(frozen=True)
class MockRequest:
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    """Lower-cased names."""
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class MockResponse:
    status: int
    body: Any = None
    """JSON-able data, or None for an empty body."""
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"
    note: str = ""
    """Why this answer, for the request log: the example used, generated, stateful."""
    raw: bytes | None = None
    """Bytes to send as they are (a non-JSON example)."""

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None and self.status in (204, 304):
            return b""
        if self.body is None and not self.media_type:
            return b""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


def envelope_error(
    status: int,
    code: int,
    msg: str | None = None,
    data: Any = None,
    *,
    headers: dict[str, str] | None = None,
    note: str = "",
) -> MockResponse:
    message = msg if msg is not None else HTTPStatus(status).phrase
    return MockResponse(
        status,
        {"code": int(code), "data": data, "msg": message},
        dict(headers or {}),
        note=note,
    )
