"""A stand-in for the Douyin Shop open-platform gateway that speaks its formats as public SDKs
describe them (see `app.douyin.__init__`).

Written from the protocol, not from `app.douyin`, so a mistake in the client's signing cannot
hide behind the same mistake here. It:

- checks every request: app key, `v=2`, the method against the path, a fresh timestamp,
  `param_json` sorted and compact, and the signature (`hmac-sha256` or `md5`); anything wrong
  is answered with Douyin's error envelope and counted in `rejected`;
- issues tokens (`token.create` for both grants, `token.refresh`), expires them by its
  clock, and spends codes and refresh tokens on use;
- pages orders by update time (`order.searchList`) and products (`product.listV2`), and
  answers `order.orderDetail` and `sku.list`;
- injects faults per method: timeouts, rate limits, a busy system, HTTP 500, expired tokens;
- signs message pushes (`push`), for the service's push endpoint.

`serve()` runs it under uvicorn on a free port of 127.0.0.1, in a thread: timeouts are real.
"""

import asyncio
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BEIJING = timezone(timedelta(hours=8))
SUCCESS = 10000


@dataclass
class Fault:
    """What the next call of a method gets instead of its answer."""

    kind: str  # timeout | rate_limit | busy | http_500 | expired_token | business
    delay: float = 0.0


@dataclass
class FakeShop:
    shop_id: str
    name: str
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    skus: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Grant:
    shop_id: str
    expires_at: datetime


class Clock:
    """A clock tests move by hand, shared with the service's components."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RealClock(Clock):
    """The wall clock, for tests that run the whole service."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


def _expected_sign(secret: str, app_key: str, method: str, body: str, ts: str, how: str) -> str:
    text = f"{secret}app_key{app_key}method{method}param_json{body}timestamp{ts}v2{secret}"
    if how == "md5":
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def _canonical(params: Any, ascii_only: bool) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)


class FakeDouyin:
    def __init__(self, app_key: str, app_secret: str, clock: Clock) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.clock = clock
        self.shops: dict[str, FakeShop] = {}
        self.codes: dict[str, str] = {}
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        self.access_ttl = 7 * 24 * 3600
        self.refresh_ttl = 14 * 24 * 3600
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[str] = []
        self.faults: dict[str, deque[Fault]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.page_delay = 0.0
        # Called after each order.searchList page is answered: lets a test change orders.
        self.after_page: Callable[[int], None] | None = None
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{a}/{b}", self._handle, methods=["POST"])])

    # -- set-up for tests ----------------------------------------------------------------

    def add_shop(self, shop_id: str, name: str = "Test shop") -> FakeShop:
        shop = FakeShop(shop_id, name)
        self.shops[shop_id] = shop
        return shop

    def issue_code(self, shop_id: str) -> str:
        code = secrets.token_hex(8)
        self.codes[code] = shop_id
        return code

    def fail(self, method: str, *faults: Fault) -> None:
        self.faults.setdefault(method, deque()).extend(faults)

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    def expire_access_tokens(self) -> None:
        for grant in self.access.values():
            grant.expires_at = self.clock() - timedelta(seconds=1)

    def expire_refresh_tokens(self) -> None:
        for grant in self.refresh.values():
            grant.expires_at = self.clock() - timedelta(seconds=1)

    def put_order(
        self,
        shop_id: str,
        order_id: str,
        *,
        status: int,
        lines: list[tuple[str, int, int]],
        update_time: int,
    ) -> dict[str, Any]:
        """An order with lines of (merchant code, quantity, unit price in fen)."""
        order = {
            "order_id": order_id,
            "order_status": status,
            "pay_amount": sum(quantity * price for _, quantity, price in lines),
            "create_time": update_time,
            "update_time": update_time,
            "sku_order_list": [
                {
                    "sku_id": f"{order_id}{index}",
                    "code": code,
                    "item_num": quantity,
                    "goods_price": price,
                    "product_name": f"Item {code}",
                }
                for index, (code, quantity, price) in enumerate(lines)
            ],
        }
        self.shops[shop_id].orders[order_id] = order
        return order

    def push(
        self, messages: list[dict[str, Any]], *, how: str = "md5"
    ) -> tuple[bytes, dict[str, str]]:
        """A signed message push: the body and the headers Douyin would send."""
        body = json.dumps(messages, separators=(",", ":")).encode()
        material = self.app_key.encode() + body + self.app_secret.encode()
        if how == "md5":
            sign = hashlib.md5(material, usedforsecurity=False).hexdigest()
        else:
            sign = hmac.new(self.app_secret.encode(), material, hashlib.sha256).hexdigest()
        headers = {"app-id": self.app_key, "event-sign": sign, "Content-Type": "application/json"}
        if how != "md5":
            headers["sign-method"] = how
        return body, headers

    # -- the gateway ---------------------------------------------------------------------

    def _answer(
        self, data: Any = None, code: int = SUCCESS, sub_code: str = "", msg: str = "success"
    ) -> JSONResponse:
        return JSONResponse(
            {
                "code": code,
                "msg": msg,
                "sub_code": sub_code,
                "sub_msg": msg if code != SUCCESS else "",
                "data": data if data is not None else {},
                "log_id": secrets.token_hex(8),
            }
        )

    def _reject(
        self, why: str, code: int = 40004, sub_code: str = "isv.sign-invalid"
    ) -> JSONResponse:
        self.rejected.append(why)
        return self._answer(code=code, sub_code=sub_code, msg=why)

    def _check(self, request: Request, body: str) -> tuple[str, dict[str, Any]] | JSONResponse:
        q = request.query_params
        method = q.get("method", "")
        if q.get("app_key") != self.app_key:
            return self._reject("unknown app_key", sub_code="isv.app-key-invalid")
        if method.replace(".", "/") != request.url.path.strip("/"):
            return self._reject(
                f"method {method} does not match {request.url.path}", 40002, "isv.method-mismatch"
            )
        if q.get("v") != "2":
            return self._reject("v must be 2", 40002, "isv.version-invalid")
        how = q.get("sign_method", "md5")
        if how not in ("md5", "hmac-sha256"):
            return self._reject(f"sign_method {how}", 40002, "isv.sign-method-invalid")
        ts = q.get("timestamp", "")
        try:
            sent = datetime.strptime(ts, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        except ValueError:
            return self._reject(f"timestamp {ts!r}", 40002, "isv.timestamp-invalid")
        if abs((sent - self.clock()).total_seconds()) > 600:
            return self._reject("timestamp too far off", 40002, "isv.timestamp-invalid")
        try:
            params = json.loads(body) if body else {}
        except json.JSONDecodeError:
            return self._reject("param_json is not JSON", 40002, "isv.param-invalid")
        if body not in (_canonical(params, False), _canonical(params, True)):
            return self._reject("param_json is not sorted and compact", 40002, "isv.param-invalid")
        expected = _expected_sign(self.app_secret, self.app_key, method, body, ts, how)
        if not hmac.compare_digest(expected, q.get("sign", "")):
            return self._reject("signature mismatch")
        return method, params

    async def _handle(self, request: Request) -> Response:
        body = (await request.body()).decode()
        checked = self._check(request, body)
        if isinstance(checked, Response):
            return checked
        method, params = checked
        with self.lock:
            self.calls.append((method, params))
            queue = self.faults.get(method)
            fault = queue.popleft() if queue else None
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if fault is not None:
                answer = await self._fault(fault)
                if answer is not None:
                    return answer
            if self.page_delay and method == "order.searchList":
                await asyncio.sleep(self.page_delay)
            return self._dispatch(method, params, request.query_params.get("access_token"))
        finally:
            with self.lock:
                self.in_flight -= 1

    async def _fault(self, fault: Fault) -> Response | None:
        if fault.kind == "timeout":
            await asyncio.sleep(fault.delay)
            return None  # the answer comes, too late for the client
        if fault.kind == "rate_limit":
            return self._answer(code=90000, sub_code="isp.flow-limit", msg="rate limited")
        if fault.kind == "busy":
            return self._answer(code=20000, sub_code="isp.service-unavailable", msg="busy")
        if fault.kind == "http_500":
            return Response("gateway error", status_code=500)
        if fault.kind == "expired_token":
            return self._answer(code=40004, sub_code="isv.access-token-expired", msg="expired")
        return self._answer(code=40003, sub_code="isv.business-failed", msg="refused")

    def _grant(self, shop_id: str) -> dict[str, Any]:
        now = self.clock()
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self.access[access] = Grant(shop_id, now + timedelta(seconds=self.access_ttl))
        self.refresh[refresh] = Grant(shop_id, now + timedelta(seconds=self.refresh_ttl))
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.access_ttl,
            "scope": "SCOPE",
            "shop_id": int(shop_id),
            "shop_name": self.shops[shop_id].name,
        }

    def _dispatch(self, method: str, params: dict[str, Any], token: str | None) -> Response:
        if method == "token.create":
            if params.get("grant_type") == "authorization_self":
                shop_id = str(params.get("shop_id"))
                if shop_id not in self.shops:
                    return self._answer(code=40003, sub_code="isv.shop-not-found", msg="no shop")
                return self._answer(self._grant(shop_id))
            shop_id = self.codes.pop(str(params.get("code")), "")
            if not shop_id:
                return self._answer(code=40004, sub_code="isv.code-invalid", msg="code invalid")
            return self._answer(self._grant(shop_id))
        if method == "token.refresh":
            grant = self.refresh.pop(str(params.get("refresh_token")), None)
            if grant is None or grant.expires_at <= self.clock():
                return self._answer(
                    code=40004, sub_code="isv.refresh-token-expired", msg="refresh token expired"
                )
            return self._answer(self._grant(grant.shop_id))
        access = self.access.get(token or "")
        if access is None:
            return self._answer(code=40004, sub_code="isv.access-token-no-exist", msg="no token")
        if access.expires_at <= self.clock():
            return self._answer(code=40004, sub_code="isv.access-token-expired", msg="expired")
        shop = self.shops[access.shop_id]
        if method == "order.searchList":
            return self._search(shop, params)
        if method == "order.orderDetail":
            order = shop.orders.get(str(params.get("shop_order_id")))
            if order is None:
                return self._answer(code=40003, sub_code="isv.order-not-found", msg="no order")
            return self._answer({"shop_order_detail": order})
        if method == "product.listV2":
            rows = sorted(shop.products.values(), key=lambda p: p["product_id"])
            start, end = params.get("update_start_time"), params.get("update_end_time")
            rows = [
                p
                for p in rows
                if (start is None or p["update_time"] >= start)
                and (end is None or p["update_time"] <= end)
            ]
            page, size = int(params["page"]), int(params["size"])
            chunk = rows[(page - 1) * size : page * size]
            return self._answer({"data": chunk, "total": len(rows), "page": page, "size": size})
        if method == "sku.list":
            return self._answer({"data": shop.skus.get(str(params.get("product_id")), [])})
        return self._answer(code=40002, sub_code="isv.method-unknown", msg="unknown method")

    def _search(self, shop: FakeShop, params: dict[str, Any]) -> Response:
        low, high = int(params["update_time_start"]), int(params["update_time_end"])
        page, size = int(params["page"]), int(params["size"])
        rows = sorted(
            (o for o in shop.orders.values() if low <= o["update_time"] <= high),
            key=lambda o: (o["update_time"], o["order_id"]),
        )
        chunk = rows[page * size : (page + 1) * size]
        answer = self._answer(
            {"shop_order_list": chunk, "total": len(rows), "page": page, "size": size}
        )
        if self.after_page is not None:
            self.after_page(page)
        return answer


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(fake: FakeDouyin) -> Iterator[str]:
    """Run the fake on a free port in a thread; yields its base URL."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(fake.app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake Douyin gateway did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
