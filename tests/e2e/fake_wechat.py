"""A stand-in for the WeChat mini-program server API on 127.0.0.1, answering in WeChat's own
format: HTTP 200 and a JSON body, errors as `errcode`/`errmsg`.

- `GET /sns/jscode2session` (login), its answer sent as `text/plain` as WeChat does;
- `POST /cgi-bin/stable_token`: the app's `access_token`, the same one until it expires;
- `POST /wxa/sec/order/upload_shipping_info?access_token=...`: checks the token and the
  body's required fields and records each accepted upload in `uploads`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APP_ID = "wx0123456789abcdef"
APP_SECRET = "fake-wechat-app-secret"

# js_code → WeChat's answer. Any other code is a valid login of openid `o-<code>` (28
# characters at most, as WeChat's are: a longer code is hashed down to that).
ERRORS: dict[str, dict[str, Any]] = {
    "used-code": {"errcode": 40163, "errmsg": "code been used, rid: 6651a7f1-2b7e5c41-1e3d"},
    "bad-code": {"errcode": 40029, "errmsg": "invalid code, rid: 6651a7f1-2b7e5c41-1e3e"},
    "risky-code": {"errcode": 40226, "errmsg": "user is blocked, rid: 6651a7f1-2b7e5c41-1e3f"},
}


@dataclass
class FakeWechat:
    base_url: str
    requests: list[dict[str, str]] = field(default_factory=list)
    token: str | None = None
    token_requests: int = 0
    uploads: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _answer(query: dict[str, str]) -> dict[str, Any]:
    if query.get("appid") != APP_ID or query.get("secret") != APP_SECRET:
        return {"errcode": 40125, "errmsg": "invalid appsecret, rid: 6651a7f1"}
    if query.get("grant_type") != "authorization_code":
        return {"errcode": 40002, "errmsg": "invalid grant_type"}
    code = query.get("js_code", "")
    if code in ERRORS:
        return ERRORS[code]
    openid = (
        f"o-{code}" if len(code) <= 26 else "o-" + hashlib.sha256(code.encode()).hexdigest()[:26]
    )
    return {"session_key": f"sk-{code}-SECRET", "openid": openid}


def _token(fake: FakeWechat, body: bytes) -> dict[str, Any]:
    asked = json.loads(body or b"{}")
    with fake.lock:
        fake.token_requests += 1
        if asked.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if asked.get("appid") != APP_ID or asked.get("secret") != APP_SECRET:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if fake.token is None or asked.get("force_refresh") is True:
            fake.token = "ACCESS_TOKEN_" + secrets.token_hex(16)
        return {"access_token": fake.token, "expires_in": 7200}


def _upload(fake: FakeWechat, token: str, body: bytes) -> dict[str, Any]:
    if not token or token != fake.token:
        return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
    upload = json.loads(body)
    listed = upload.get("shipping_list") or []
    key = upload.get("order_key") or {}
    complete = (
        (key.get("transaction_id") or (key.get("mchid") and key.get("out_trade_no")))
        and upload.get("logistics_type") in (1, 2, 3, 4)
        and upload.get("delivery_mode") in (1, 2)
        and 1 <= len(listed) <= 15
        and upload.get("upload_time")
        and (upload.get("payer") or {}).get("openid")
        and all(p.get("tracking_no") and p.get("express_company") for p in listed)
        and all(0 < len(p.get("item_desc") or "") <= 120 for p in listed)
    )
    if not complete:
        return {"errcode": 10060014, "errmsg": "参数错误"}
    if upload["delivery_mode"] == 2 and not isinstance(upload.get("is_all_delivered"), bool):
        return {"errcode": 10060007, "errmsg": "分拆发货模式下必须填写is_all_delivered"}
    with fake.lock:
        fake.uploads.append(upload)
    return {"errcode": 0, "errmsg": "ok"}


@contextmanager
def serve_fake_wechat() -> Iterator[FakeWechat]:
    fake = FakeWechat(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def _send(self, answer: dict[str, Any], content_type: str) -> None:
            body = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            url = urlsplit(self.path)
            if url.path != "/sns/jscode2session":
                self.send_error(404)
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            fake.requests.append(query)
            self._send(_answer(query), "text/plain")

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if url.path == "/cgi-bin/stable_token":
                answer = _token(fake, body)
            elif url.path == "/wxa/sec/order/upload_shipping_info":
                token = parse_qs(url.query).get("access_token", [""])[0]
                answer = _upload(fake, token, body)
            else:
                answer = {"errcode": 40066, "errmsg": "invalid url"}
            self._send(answer, "application/json; encoding=utf-8")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
