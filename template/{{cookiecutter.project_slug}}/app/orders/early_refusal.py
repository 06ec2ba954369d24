"""createOrder answered before routing: sold-out answers for the crowd that comes after a
flash sale's last unit, and the orders the gate lets through placed without the router.

Nearly every createOrder then is refused, and through FastAPI each pays for routing,
dependency resolution and the handler before the sold-out gate (`app.orders.sold_out`)
refuses it from Redis: most of what it costs. So this middleware asks the gate itself, and
gives the route's answer to the requests the route would have asked it for, and only those:

- It takes a request the route would take up to the gate: no query string, a JSON body that
  parses strictly and passes both the contract's schema and the body model, an
  `Idempotency-Key` of 8 to 255 characters, a customer's valid access token (an admin's role
  is checked in the database, so that request goes to the route), every line naming a variant.
- It asks the gate, the one round trip the route would make there: the gate marks the key and
  reads the stock counts. A request whose lines Redis holds enough for (or whose key went on
  to the database before) is handled as the route handles it, by the route's own handler
  and dependencies (the per-address limit, the order service on a session of its own),
  with the body already read and checked; what they raise is answered by the app's own
  exception handlers. Routing it would only read, parse and check it all again.
- A refusal is recorded in the mark by the gate and answered here, the route's 409 (or on a
  retry the recorded answer), once the request is counted against the checkout limits, per
  address and then per account as the route counts them (429 when a window is full).

Anything else (Redis down, a body or token the route would refuse) goes to the route, which
answers as it always does. A flash sale's crowd sends the same few bodies over and over, so
what a body was found to be (checked against the contract and the model) is kept by its
bytes (small ones, a few hundred at most) for the next request that sends them.
"""

import inspect
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api import operations as ops
from app.api import strict
from app.api.binding import Handler, Operation
from app.core.errors import ShopError, Unauthorized, envelope_response
from app.core.ratelimit import RateLimits, client_ip
from app.core.security import TokenCodec
from app.orders.dependencies import KEY_LENGTH, get_order_service
from app.orders.handlers import REPLAYED_HEADER, create_order
from app.orders.idempotency import fingerprint
from app.orders.service import Viewer
from app.orders.sold_out import PASSED, SoldOutGate, refusal_response
from app.stock.backend import OutOfStock, StockLine, StockUnavailable

_KEPT_BODIES, _KEPT_BODY_BYTES = 256, 4096


@dataclass(frozen=True, slots=True)
class Order:
    """A createOrder body as the route takes it: the model, the body as the handler
    fingerprints it, and the lines the gate reads."""

    body: Any  # the operation's body model, as the handler takes it
    dumped: Any
    lines: tuple[StockLine, ...]


def install_early_refusal(
    app: FastAPI,
    operations: Iterable[Operation],
    handlers: Mapping[str, Handler],
    codec: TokenCodec,
) -> None:
    """Answer sold-out createOrders before routing, where the route is this package's own
    (a handler of the user's in app/custom/ answers them all itself)."""
    operation = next(
        (op for op in operations if op.operation_id == "createOrder" and op.method == "POST"),
        None,
    )
    body = getattr(ops, "CreateOrderBody", None)
    if (
        operation is None
        or handlers.get("createOrder") is not create_order
        or not (isinstance(body, type) and issubclass(body, BaseModel))
    ):
        return
    app.add_middleware(EarlyRefusal, path=operation.path, body_model=body, codec=codec)


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app, giving it the body this middleware has read."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class EarlyRefusal:
    def __init__(
        self, app: ASGIApp, *, path: str, body_model: type[BaseModel], codec: TokenCodec
    ) -> None:
        self.app = app
        self.path = path
        self.body_model = body_model
        self.codec = codec
        self.validator = strict.body_validator(path, "POST")
        self._route: Any = None
        self._orders: dict[bytes, Order | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != self.path
            or scope["query_string"]
        ):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        gate: SoldOutGate | None = getattr(state, "sold_out", None)
        customer = self._customer(scope["headers"]) if gate is not None else None
        key = _header(scope["headers"], b"idempotency-key")
        media = (_header(scope["headers"], b"content-type") or "").split(";", 1)[0].strip()
        if (
            gate is None
            or customer is None
            or key is None
            or len(key) not in KEY_LENGTH
            or media.lower() != "application/json"
        ):
            await self.app(scope, receive, send)
            return
        body, more = await self._read(receive)
        replay = _replaying(body, receive)
        order = self._known(body) if not more else None
        if order is None:
            await self.app(scope, replay, send)
            return
        scope[strict.BODY_CHECKED] = True  # the body the route is given is this one
        request = Request(scope, replay)
        digest = fingerprint("POST", request.url.path, order.dumped)
        try:
            answer = await gate.check(customer, key, digest, order.lines)
        except StockUnavailable:
            await self.app(scope, replay, send)  # the route answers as it does without Redis
            return
        except OutOfStock as error:
            refusal: Response = refusal_response(error)
        except ShopError as error:
            refusal = envelope_response(
                error.status_code, error.code, error.msg, error.data, error.headers
            )
        else:
            if answer is None:
                scope[PASSED] = True
                placed = await self._place(request, customer, key, order)
                await self._answer(placed, scope, replay, send)
                return
            refusal = JSONResponse(
                answer.body, status_code=answer.status_code, headers={REPLAYED_HEADER: "true"}
            )
        # Answered here, and counted against the checkout limits as the route counts them.
        limits: RateLimits = state.rate_limits
        try:
            await limits.hit("checkout", "ip", client_ip(request))
            await limits.hit("checkout", "account", f"user:{customer}")
        except ShopError as error:
            refusal = envelope_response(
                error.status_code, error.code, error.msg, error.data, error.headers
            )
        await self._answer(refusal, scope, replay, send)

    def _customer(self, headers: Iterable[tuple[bytes, bytes]]) -> int | None:
        """The signed-in customer's id, if the token checks out and claims no more."""
        scheme, token = get_authorization_scheme_param(_header(headers, b"authorization"))
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            claims = self.codec.decode(token, "access")
            user_id = int(claims.subject)
        except (Unauthorized, ValueError):
            return None
        if claims.role is None or claims.role == "admin":
            return None
        return user_id

    @staticmethod
    async def _read(receive: Receive) -> tuple[bytes, bool]:
        """The request's body, and whether the client went away before sending it all."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), True
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks), False

    async def _place(self, request: Request, customer: int, key: str, order: Order) -> Response:
        """What the route answers an order the gate let through."""
        state = request.app.state
        limits: RateLimits = state.rate_limits
        try:
            await limits.hit("checkout", "ip", client_ip(request))
            async with state.sessionmaker() as session:
                orders = await get_order_service(request, session)
                viewer = Viewer(user_id=customer, admin=False)
                return await create_order(request, order.body, key, viewer, orders, limits)
        except Exception as error:
            handler = _exception_handler(request.app, error)
            if handler is None:
                raise
            answer = handler(request, error)
            return await answer if inspect.isawaitable(answer) else answer

    def _known(self, body: bytes) -> Order | None:
        if body in self._orders:
            return self._orders[body]
        order = self._order(body)
        if len(body) <= _KEPT_BODY_BYTES:
            if len(self._orders) >= _KEPT_BODIES:
                self._orders.pop(next(iter(self._orders)))
            self._orders[body] = order
        return order

    def _order(self, body: bytes) -> Order | None:
        """The body as the handler fingerprints it and the lines the gate reads, or None when
        the route would answer anything but the gate's answer."""
        try:
            parsed = strict.loads(body)
        except json.JSONDecodeError:
            return None
        if self.validator is not None and strict.refused_by_contract(self.validator, parsed):
            return None
        try:
            model = self.body_model.model_validate(parsed)
        except ValidationError:
            return None
        items = getattr(model, "items", None)
        if not isinstance(items, list) or not items:
            return None
        lines = []
        for index, item in enumerate(items):
            variant_id = getattr(item, "variant_id", None)
            if variant_id is None:
                return None  # a line naming a product alone is resolved in the database
            lines.append(StockLine(variant_id, item.quantity, index=index))
        return Order(model, model.model_dump(mode="json"), tuple(lines))

    async def _answer(self, response: Response, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self._route_of(scope)  # so metrics name the route as the router would
        await response(scope, receive, send)

    def _route_of(self, scope: Scope) -> Any:
        if self._route is None:
            for route in scope["app"].router.routes:
                if getattr(route, "path", None) == self.path and "POST" in getattr(
                    route, "methods", ()
                ):
                    self._route = route
                    break
        return self._route


ExceptionHandler = Callable[[Request, Exception], Response | Awaitable[Response]]


def _exception_handler(app: FastAPI, error: Exception) -> ExceptionHandler | None:
    """The app's handler of `error`, found as the router's exception middleware finds it:
    an HTTP exception's status first, then the nearest of the error's classes."""
    handlers: Mapping[Any, ExceptionHandler] = app.exception_handlers
    if isinstance(error, HTTPException) and error.status_code in handlers:
        return handlers[error.status_code]
    for kind in type(error).__mro__:
        if kind in handlers:
            return handlers[kind]
    return None
