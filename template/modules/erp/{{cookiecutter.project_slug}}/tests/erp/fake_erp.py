"""A stand-in for the ERP: receives the shop's changes as the module's README specifies, and
pushes stock levels and prices back.

Written from the README's wire format, not from `app.erp`. It:

- checks every delivery's `X-Shopgen-Signature` over timestamp + raw body (401 otherwise);
- applies each `sync_id` once (a repeat answers 200 and changes nothing) and records, per
  entity, the versions it applied, in the order it applied them;
- misbehaves on demand, per delivery: `fail` (500), `refuse` (422), `slow` (answers late but
  in time), `timeout` (applies, then answers after the shop gave up), or at random;
- builds signed pushes for the shop's `receiveErpUpdates`.

`serve()` runs it under uvicorn on a free port of 127.0.0.1, in a thread: timeouts are real.
"""

import asyncio
import hashlib
import hmac
import json
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def _sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class FakeErp:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.script: deque[str] = deque()
        self.failure_rate = 0.0
        self.timeout_rate = 0.0
        self.rng = random.Random(16)
        self.delay = 0.0
        self.state: dict[str, dict[str, Any]] = {}
        self.applied: dict[str, list[int]] = {}
        self.applied_ids: list[str] = []
        self.received: list[str] = []
        self.duplicates = 0
        self.rejected: list[str] = []
        self.out_of_order: list[str] = []
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/sync", self._handle, methods=["POST"])])

    def then(self, *behaviours: str) -> None:
        """What the next deliveries meet: ok, fail, refuse, slow, timeout."""
        self.script.extend(behaviours)

    def _behaviour(self) -> str:
        with self.lock:
            if self.script:
                return self.script.popleft()
            roll = self.rng.random()
        if roll < self.failure_rate:
            return "fail"
        if roll < self.failure_rate + self.timeout_rate:
            return "timeout"
        return "ok"

    def _apply(self, document: dict[str, Any]) -> bool:
        """Apply a change once; whether it was new."""
        with self.lock:
            sync_id = document["sync_id"]
            self.received.append(sync_id)
            if sync_id in self.applied_ids:
                self.duplicates += 1
                return False
            key = f"{document['entity']}:{document['entity_id']}"
            versions = self.applied.setdefault(key, [])
            if versions and document["version"] <= versions[-1]:
                self.out_of_order.append(sync_id)
            versions.append(document["version"])
            self.applied_ids.append(sync_id)
            self.state[key] = document["data"]
            return True

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("x-shopgen-timestamp", "")
        signature = request.headers.get("x-shopgen-signature", "")
        if not hmac.compare_digest(_sign(self.secret, timestamp, body), signature):
            self.rejected.append(signature)
            return JSONResponse({"error": "bad signature"}, status_code=401)
        document = json.loads(body)
        if request.headers.get("idempotency-key") != document["sync_id"]:
            self.rejected.append("idempotency key")
            return JSONResponse({"error": "idempotency key"}, status_code=400)
        behaviour = self._behaviour()
        if self.delay:
            await asyncio.sleep(self.delay)
        if behaviour == "fail":
            return JSONResponse({"error": "database locked"}, status_code=500)
        if behaviour == "refuse":
            return JSONResponse({"error": "unknown sku"}, status_code=422)
        if behaviour == "slow":
            await asyncio.sleep(0.2)
        new = self._apply(document)
        if behaviour == "timeout":
            await asyncio.sleep(2.0)
        return JSONResponse({"ok": True, "duplicate": not new})

    def push(
        self, items: list[dict[str, Any]], *, at: float | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A signed `receiveErpUpdates` request: the body and its headers."""
        body = json.dumps({"items": items}).encode()
        timestamp = str(int(at if at is not None else time.time()))
        return body, {
            "Content-Type": "application/json",
            "X-Shopgen-Timestamp": timestamp,
            "X-Shopgen-Signature": _sign(self.secret, timestamp, body),
        }


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run an ASGI app on a free port in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake ERP did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
