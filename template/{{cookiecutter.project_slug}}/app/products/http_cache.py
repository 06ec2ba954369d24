"""Public product reads answered from memory, before routing.

A page of the catalogue is the same bytes for every visitor who is not an admin until a
product changes, and resolving a route's dependencies and serialising its model costs
several times what sending those bytes does. So the whole 200 answer of a `GET` on
listProducts or getProduct is kept in the product cache under its path and query string:
whatever clears that cache (a product write or a stock change, in any process when Redis
carries the news) drops these answers too, and they lapse after `PRODUCT_CACHE_TTL` like the
rest. Customers get the same bytes as anonymous visitors, since the answer does not depend
on who they are; an access token is checked once per process and then known by its text. A
token that claims the admin role (admins see hidden products) goes through the handler,
which checks the role in the database.

When an answer is due to be read again (late in its life, see `app.products.cache`), the
visitor who finds it still gets it at once, and the same read is made again in the
background, as an anonymous visitor would make it, to replace it: no visitor waits for the
database while the answer is kept. What these answers are made from is read from the
database, never from the service's own model cache, so none outlives `PRODUCT_CACHE_TTL`.
"""

import asyncio
import logging
import re
from collections.abc import Iterable
from typing import Any

from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.binding import Operation
from app.core.errors import Unauthorized
from app.core.security import TokenCodec
from app.products.cache import ProductCache, read_through

logger = logging.getLogger(__name__)

CACHED_OPERATIONS = frozenset({"listProducts", "getProduct"})
_PARAMETER = re.compile(r"\\\{[^/]+?\\\}")


def _path_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + _PARAMETER.sub("[^/]+", re.escape(template)) + "$")


# What routing adds to a request's scope; a copy made to answer again starts without them.
_ROUTED = frozenset({"route", "endpoint", "path_params", "router", "fastapi_astack"})


def _copy(message: Message) -> Message:
    # Outer middleware (CORS) edits the headers of the messages it passes on, in place.
    if "headers" in message:
        return {**message, "headers": list(message["headers"])}
    return dict(message)


def _bearer(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == b"authorization":
            return value
    return None


class PublicReadCache:
    def __init__(
        self,
        app: ASGIApp,
        cache: ProductCache,
        operations: Iterable[Operation],
        codec: TokenCodec,
    ):
        self.app = app
        self.cache = cache
        self.codec = codec
        self.patterns = [
            _path_pattern(op.path)
            for op in operations
            if op.operation_id in CACHED_OPERATIONS and op.method == "GET"
        ]
        self._refreshing: set[asyncio.Task[None]] = set()

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        if not any(pattern.match(scope["path"]) for pattern in self.patterns):
            return False
        authorization = _bearer(scope["headers"])
        return authorization is None or not self._admin(authorization)

    def _admin(self, authorization: bytes) -> bool:
        """Whether the handler must answer: the token claims the admin role. A token that
        does not check out is no token on a public read, as in the handler."""
        scheme, token = get_authorization_scheme_param(authorization.decode("latin-1"))
        if scheme.lower() != "bearer" or not token:
            return False
        try:
            claims = self.codec.decode(token, "access")
        except Unauthorized:
            return False
        return claims.role == "admin"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        key = ("http", scope["path"], scope["query_string"])
        hit: tuple[Any, tuple[Message, ...]] | None
        hit, refresh = self.cache.peek(key)
        if hit is not None:
            route, messages = hit
            scope["route"] = route  # so metrics name the route as for any other answer
            for message in messages:
                await send(_copy(message))
            if refresh:
                task = asyncio.create_task(self._refresh(scope, key))
                self._refreshing.add(task)
                task.add_done_callback(self._refreshing.discard)
            return
        await self._answer(scope, receive, send, key)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, key: Any) -> None:
        """Answer through the app, and keep a whole 200."""
        generation = self.cache.generation
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(_copy(message))
            await send(message)

        with read_through():
            await self.app(scope, receive, keep)
        start, *body = sent or [{}]
        complete = bool(body) and not any(message.get("more_body") for message in body)
        if start.get("status") == 200 and complete:
            self.cache.put(key, (scope.get("route"), tuple(sent)), generation=generation)

    async def _refresh(self, scope: Scope, key: Any) -> None:
        """Read `key`'s answer again as an anonymous visitor, to replace the kept one."""
        anonymous: Scope = {
            **{name: value for name, value in scope.items() if name not in _ROUTED},
            "headers": [(n, v) for n, v in scope["headers"] if n != b"authorization"],
            "state": dict(scope.get("state", {})),
        }

        async def nothing() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def discard(message: Message) -> None:
            return None

        try:
            await self._answer(anonymous, nothing, discard, key)
        except Exception:  # the kept answer lapses at its TTL; the next visitor reads it
            logger.warning("refreshing %s failed", scope["path"], exc_info=True)
