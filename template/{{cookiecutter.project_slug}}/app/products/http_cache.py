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
"""

import re
from collections.abc import Iterable
from typing import Any

from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.binding import Operation
from app.core.errors import Unauthorized
from app.core.security import TokenCodec
from app.products.cache import ProductCache

CACHED_OPERATIONS = frozenset({"listProducts", "getProduct"})
_PARAMETER = re.compile(r"\\\{[^/]+?\\\}")


def _path_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + _PARAMETER.sub("[^/]+", re.escape(template)) + "$")


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
        hit: tuple[Any, tuple[Message, ...]] | None = self.cache.get(key)
        if hit is not None:
            route, messages = hit
            scope["route"] = route  # so metrics name the route as for any other answer
            for message in messages:
                await send(_copy(message))
            return
        generation = self.cache.generation
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(_copy(message))
            await send(message)

        await self.app(scope, receive, keep)
        start, *body = sent or [{}]
        complete = bool(body) and not any(message.get("more_body") for message in body)
        if start.get("status") == 200 and complete:
            self.cache.put(key, (scope.get("route"), tuple(sent)), generation=generation)
