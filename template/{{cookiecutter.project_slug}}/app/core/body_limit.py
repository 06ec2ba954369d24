"""A cap on request bodies, enforced while they arrive (`MAX_BODY_BYTES`, 1 MiB by default).

A declared `Content-Length` over the cap is refused before a byte of the body is read; a body
that grows past it (chunked, or a lying length) stops being read at the cap. Either way the
answer is 413 (41301) in the envelope, and the service never holds more than the cap.
"""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import Code, envelope_response


class BodyTooLarge(HTTPException):
    """Raised from `receive`: FastAPI lets an HTTPException from the body read through, and
    the app's handler puts it in the envelope like any other."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body is larger than {limit} bytes")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            refused = BodyTooLarge(self.max_bytes)
            response = envelope_response(
                413, Code.PAYLOAD_TOO_LARGE, refused.detail, headers={"Connection": "close"}
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message: Any = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message  # type: ignore[no-any-return]

        await self.app(scope, counted, send)
