"""A stand-in for the WeChat mini-program server API that speaks its exact formats.

Written from WeChat's documentation, not from `app.fulfilment`: HTTP 200 on every answer,
failures as `{"errcode": ..., "errmsg": "... rid: ..."}`, success leaving `errcode` 0. It:

- answers `POST /cgi-bin/stable_token` (`grant_type` `client_credential`, the app's id and
  secret) with `{"access_token", "expires_in"}`; the same token until it is revoked;
- answers `POST /wxa/sec/order/upload_shipping_info?access_token=...`, checking the token
  (40001 when it is not the current one) and the body's required fields, and records every
  accepted upload in `uploads`; `errors` queues errcodes to answer the next uploads with.

Use `handle` through `httpx.MockTransport`.
"""

import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

TOKEN_PATH = "/cgi-bin/stable_token"
UPLOAD_PATH = "/wxa/sec/order/upload_shipping_info"
MESSAGES = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40013: "invalid appid",
    40125: "invalid appsecret",
    10060001: "支付单不存在",
    10060002: "支付单已完成发货，无法继续发货",
    10060007: "分拆发货模式下必须填写is_all_delivered",
    10060014: "参数错误",
}


def _rid() -> str:
    return f"rid: {secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"


def failure(errcode: int) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": f"{MESSAGES.get(errcode, 'error')} {_rid()}"}


@dataclass
class FakeWechat:
    """One mini-program at a fake WeChat."""

    app_id: str = "wx-test-app"
    secret: str = "wechat-test-secret"
    token: str | None = None
    token_requests: int = 0
    uploads: list[dict[str, Any]] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)

    def revoke(self) -> None:
        """Make the current token invalid, as a refresh elsewhere would."""
        self.token = None

    def answer(self, method: str, path: str, query: str, body: bytes) -> dict[str, Any]:
        if method != "POST":
            return failure(10060014)
        if path == TOKEN_PATH:
            return self._token(body)
        if path == UPLOAD_PATH:
            return self._upload(parse_qs(query).get("access_token", [""])[0], body)
        return {"errcode": 40066, "errmsg": f"invalid url {_rid()}"}

    def handle(self, request: httpx.Request) -> httpx.Response:
        """`httpx.MockTransport(fake.handle)`."""
        answer = self.answer(
            request.method, request.url.path, request.url.query.decode(), request.content
        )
        body = json.dumps(answer, ensure_ascii=False).encode()
        return httpx.Response(
            200, content=body, headers={"Content-Type": "application/json; encoding=utf-8"}
        )

    def _token(self, body: bytes) -> dict[str, Any]:
        self.token_requests += 1
        try:
            asked = json.loads(body)
        except ValueError:
            return failure(10060014)
        if asked.get("grant_type") != "client_credential":
            return failure(10060014)
        if asked.get("appid") != self.app_id:
            return failure(40013)
        if asked.get("secret") != self.secret:
            return failure(40125)
        if self.token is None or asked.get("force_refresh") is True:
            self.token = "ACCESS_TOKEN_" + secrets.token_hex(16)
        return {"access_token": self.token, "expires_in": 7200}

    def _upload(self, token: str, body: bytes) -> dict[str, Any]:
        if not token or token != self.token:
            return failure(40001)
        try:
            upload = json.loads(body)
        except ValueError:
            return failure(10060014)
        if self.errors:
            return failure(self.errors.pop(0))
        problem = _missing(upload)
        if problem is not None:
            return failure(problem)
        self.uploads.append(upload)
        return {"errcode": 0, "errmsg": "ok"}


def _missing(upload: dict[str, Any]) -> int | None:
    """What WeChat would refuse in an upload: None when nothing."""
    key = upload.get("order_key") or {}
    if key.get("order_number_type") == 2:
        keyed = bool(key.get("transaction_id"))
    else:
        keyed = bool(key.get("mchid")) and bool(key.get("out_trade_no"))
    listed = upload.get("shipping_list")
    if not keyed or upload.get("logistics_type") not in (1, 2, 3, 4):
        return 10060014
    if upload.get("delivery_mode") not in (1, 2) or not isinstance(listed, list):
        return 10060014
    if not 1 <= len(listed) <= 15 or not upload.get("upload_time"):
        return 10060014
    if not (upload.get("payer") or {}).get("openid"):
        return 10060014
    if upload["delivery_mode"] == 2 and not isinstance(upload.get("is_all_delivered"), bool):
        return 10060007
    for parcel in listed:
        desc = parcel.get("item_desc")
        if not parcel.get("tracking_no") or not parcel.get("express_company"):
            return 10060014
        if not desc or len(desc) > 120:
            return 10060014
    return None
