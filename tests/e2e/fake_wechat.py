"""A stand-in for WeChat's `jscode2session` on 127.0.0.1, answering in WeChat's own format:
HTTP 200 and a JSON body sent as `text/plain`, errors as `errcode`/`errmsg`."""

from __future__ import annotations

import hashlib
import json
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


@contextmanager
def serve_fake_wechat() -> Iterator[FakeWechat]:
    fake = FakeWechat(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            url = urlsplit(self.path)
            if url.path != "/sns/jscode2session":
                self.send_error(404)
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            fake.requests.append(query)
            body = json.dumps(_answer(query)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

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
