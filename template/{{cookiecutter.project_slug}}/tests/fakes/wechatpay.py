"""A stand-in for WeChat Pay API v3 that speaks its exact formats.

Written from the protocol, not from `app.payments`, so a mistake in the service's signing
cannot hide behind the same mistake here. It:

- checks the `Authorization: WECHATPAY2-SHA256-RSA2048 ...` of every request with the
  merchant's public key (401 `SIGN_ERROR` otherwise, and for a skew over 5 minutes);
- answers `POST /v3/pay/transactions/jsapi` with `{"prepay_id": "wx..."}`, signed with the
  platform key in `Wechatpay-*` headers;
- answers `POST /v3/refund/domestic/refunds` with the refund (`PROCESSING`), refusing more
  than the order's total and treating a known `out_refund_no` as the same refund, and
  records every refund asked for in `refunds`;
- builds real notifications: the transaction (TRANSACTION.SUCCESS) or the refund
  (REFUND.SUCCESS, REFUND.CLOSED, REFUND.ABNORMAL) encrypted with AEAD_AES_256_GCM under the
  APIv3 key, the body signed with the platform key.

Use `handle` through `httpx.MockTransport`, or `serve()` for a real socket on 127.0.0.1.
Keys are made fresh by the tests (RSA 2048); nothing here is a committed secret.
"""

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
BEIJING = timezone(timedelta(hours=8))


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


@dataclass
class FakeWechatPay:
    """One merchant account at a fake WeChat Pay."""

    merchant_key: rsa.RSAPrivateKey
    platform_key: rsa.RSAPrivateKey
    mch_id: str = "1900000109"
    app_id: str = "wx8f3c2a1b9d7e6f50"
    merchant_serial: str = "3775B6A45ACD588826D15E583A95F5DD00000000"
    platform_serial: str = "PUB_KEY_ID_0114232134912410000000000000"
    api_v3_key: str = field(default_factory=lambda: secrets.token_hex(16))
    base_url: str = "https://api.mch.weixin.qq.com"
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)
    # An error to answer the next refund request with: (HTTP status, code), once.
    refund_error: tuple[int, str] | None = None

    # -- the settings a service needs to talk to this fake --------------------------------

    def settings(self) -> dict[str, Any]:
        return {
            "wechatpay_mch_id": self.mch_id,
            "wechatpay_app_id": self.app_id,
            "wechatpay_api_v3_key": self.api_v3_key,
            "wechatpay_private_key": private_pem(self.merchant_key),
            "wechatpay_cert_serial": self.merchant_serial,
            "wechatpay_platform_public_key": public_pem(self.platform_key),
            "wechatpay_platform_serial": self.platform_serial,
            "wechatpay_api_base": self.base_url,
            "payment_notify_url": "https://shop.example.com/api/v1/payments/wechat/notifications",
        }

    def forget(self) -> None:
        """Back to a merchant that has seen nothing."""
        self.orders.clear()
        self.refunds.clear()
        self.rejected.clear()
        self.refund_error = None

    # -- the API side -------------------------------------------------------------------------

    def answer(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one request, exactly as WeChat Pay would send them."""
        problem = self._check_authorization(method, target, headers, body)
        if problem:
            self.rejected.append(problem)
            return self._reply(401, {"code": "SIGN_ERROR", "message": problem})
        if method == "POST" and target == "/v3/pay/transactions/jsapi":
            order = json.loads(body)
            missing = [
                k
                for k in ("appid", "mchid", "description", "out_trade_no", "notify_url")
                if not order.get(k)
            ]
            if missing or not order.get("payer", {}).get("openid"):
                return self._reply(400, {"code": "PARAM_ERROR", "message": f"missing {missing}"})
            if order["mchid"] != self.mch_id or order["appid"] != self.app_id:
                return self._reply(400, {"code": "APPID_MCHID_NOT_MATCH", "message": "mismatch"})
            if not isinstance(order.get("amount", {}).get("total"), int):
                return self._reply(400, {"code": "PARAM_ERROR", "message": "amount.total"})
            if order["out_trade_no"] in self.orders:
                return self._reply(400, {"code": "OUT_TRADE_NO_USED", "message": "used"})
            prepay_id = "wx" + secrets.token_hex(15)
            self.orders[order["out_trade_no"]] = {**order, "prepay_id": prepay_id}
            return self._reply(200, {"prepay_id": prepay_id})
        if method == "POST" and target == "/v3/refund/domestic/refunds":
            return self._refund(json.loads(body))
        return self._reply(404, {"code": "NOT_FOUND", "message": target})

    def _refund(self, asked: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if self.refund_error is not None:
            (status, code), self.refund_error = self.refund_error, None
            return self._reply(status, {"code": code, "message": code.lower()})
        out_refund_no = asked.get("out_refund_no")
        amount = asked.get("amount") or {}
        if not out_refund_no or not (asked.get("out_trade_no") or asked.get("transaction_id")):
            return self._reply(400, {"code": "PARAM_ERROR", "message": "out_refund_no"})
        if not all(isinstance(amount.get(k), int) for k in ("refund", "total")):
            return self._reply(400, {"code": "PARAM_ERROR", "message": "amount"})
        if amount.get("currency") != "CNY" or len(str(asked.get("reason", ""))) > 80:
            return self._reply(400, {"code": "PARAM_ERROR", "message": "currency or reason"})
        if out_refund_no in self.refunds:  # the same refund asked about again
            return self._reply(200, self.refund_answer(self.refunds[out_refund_no]))
        trade = asked.get("out_trade_no")
        paid = self.orders.get(trade, {}) if isinstance(trade, str) else {}
        total = paid.get("amount", {}).get("total", amount["total"])
        refunded = sum(
            r["amount"]["refund"]
            for r in self.refunds.values()
            if r["out_trade_no"] == trade and r["status"] != "CLOSED"
        )
        if amount["total"] != total or refunded + amount["refund"] > total:
            return self._reply(400, {"code": "INVALID_REQUEST", "message": "exceeds total"})
        refund = {
            **asked,
            "refund_id": "5030000" + secrets.token_hex(11)[:22],
            "transaction_id": "42000021662025" + secrets.token_hex(7)[:14],
            "status": "PROCESSING",
        }
        self.refunds[out_refund_no] = refund
        return self._reply(200, self.refund_answer(refund))

    def refund_answer(self, refund: dict[str, Any], status: str = "PROCESSING") -> dict[str, Any]:
        """A refund as the refund API describes it."""
        return {
            "refund_id": refund["refund_id"],
            "out_refund_no": refund["out_refund_no"],
            "transaction_id": refund["transaction_id"],
            "out_trade_no": refund["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
            "status": status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": refund["amount"]["total"],
                "refund": refund["amount"]["refund"],
                "payer_total": refund["amount"]["total"],
                "payer_refund": refund["amount"]["refund"],
                "settlement_refund": refund["amount"]["refund"],
                "settlement_total": refund["amount"]["total"],
                "discount_refund": 0,
                "currency": "CNY",
            },
            "promotion_detail": [],
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        """`httpx.MockTransport(fake.handle)`."""
        target = request.url.raw_path.decode()
        status, headers, body = self.answer(
            request.method, target, request.headers, request.content
        )
        return httpx.Response(status, headers=headers, content=body)

    def _check_authorization(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> str | None:
        header = headers.get("Authorization") or headers.get("authorization") or ""
        scheme, _, rest = header.partition(" ")
        if scheme != SIGNATURE_TYPE:
            return "authorization scheme"
        fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        fields = {k: v.strip('"') for k, v in fields.items()}
        if fields.get("mchid") != self.mch_id or fields.get("serial_no") != self.merchant_serial:
            return "mchid or serial_no"
        try:
            skew = abs(time.time() - int(fields["timestamp"]))
        except (KeyError, ValueError):
            return "timestamp"
        if skew > 300:
            return "timestamp skew"
        message = f"{method}\n{target}\n{fields['timestamp']}\n{fields.get('nonce_str', '')}\n"
        try:
            self.merchant_key.public_key().verify(
                base64.b64decode(fields.get("signature", "")),
                message.encode() + body + b"\n",
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return "signature"
        return None

    def _reply(self, status: int, payload: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", **self.signed_headers(body)}
        return status, headers, body

    # -- the notification side ----------------------------------------------------------------

    def signed_headers(
        self,
        body: bytes,
        *,
        timestamp: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
        serial: str | None = None,
    ) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(16).upper()
        message = f"{stamp}\n{nonce}\n".encode() + body + b"\n"
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": _sign(key or self.platform_key, message),
            "Wechatpay-Serial": serial or self.platform_serial,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        }

    def transaction(self, out_trade_no: str, total: int, **overrides: Any) -> dict[str, Any]:
        """A successful JSAPI transaction as WeChat Pay reports it."""
        order = self.orders.get(out_trade_no, {})
        transaction = {
            "appid": self.app_id,
            "mchid": self.mch_id,
            "out_trade_no": out_trade_no,
            "transaction_id": "42000021662025" + secrets.token_hex(7)[:14],
            "trade_type": "JSAPI",
            "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功",
            "bank_type": "CMC",
            "attach": "",
            "success_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
            "payer": {"openid": order.get("payer", {}).get("openid", "o-payer")},
            "amount": {
                "total": total,
                "payer_total": total,
                "currency": "CNY",
                "payer_currency": "CNY",
            },
        }
        transaction.update(overrides)
        return transaction

    def notification(
        self,
        transaction: Mapping[str, Any],
        *,
        timestamp: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
        serial: str | None = None,
        api_v3_key: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Headers and raw body of a TRANSACTION.SUCCESS notification for `transaction`."""
        return self._notification(
            transaction,
            event_type="TRANSACTION.SUCCESS",
            summary="支付成功",
            original_type="transaction",
            timestamp=timestamp,
            key=key,
            serial=serial,
            api_v3_key=api_v3_key,
        )

    def refund_resource(
        self, out_refund_no: str, status: str = "SUCCESS", **overrides: Any
    ) -> dict[str, Any]:
        """A refund as its notification reports it (decrypted): no app id, only the merchant.
        The refund takes that status here too: a closed one no longer counts."""
        refund = self.refunds[out_refund_no]
        refund["status"] = status
        resource = {
            "mchid": self.mch_id,
            "transaction_id": refund["transaction_id"],
            "out_trade_no": refund["out_trade_no"],
            "refund_id": refund["refund_id"],
            "out_refund_no": out_refund_no,
            "refund_status": status,
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": refund["amount"]["total"],
                "refund": refund["amount"]["refund"],
                "payer_total": refund["amount"]["total"],
                "payer_refund": refund["amount"]["refund"],
            },
        }
        if status == "SUCCESS":
            resource["success_time"] = datetime.now(BEIJING).isoformat(timespec="seconds")
        resource.update(overrides)
        return resource

    def refund_notification(
        self,
        resource: Mapping[str, Any],
        *,
        timestamp: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Headers and raw body of a REFUND.<status> notification for `resource`."""
        status = str(resource["refund_status"])
        summaries = {"SUCCESS": "退款成功", "CLOSED": "退款关闭", "ABNORMAL": "退款异常"}
        return self._notification(
            resource,
            event_type=f"REFUND.{status}",
            summary=summaries[status],
            original_type="refund",
            timestamp=timestamp,
            key=key,
        )

    def _notification(
        self,
        resource: Mapping[str, Any],
        *,
        event_type: str,
        summary: str,
        original_type: str,
        timestamp: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
        serial: str | None = None,
        api_v3_key: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        nonce = secrets.token_hex(6)
        associated_data = original_type
        sealed = AESGCM((api_v3_key or self.api_v3_key).encode()).encrypt(
            nonce.encode(),
            json.dumps(resource, ensure_ascii=False).encode(),
            associated_data.encode(),
        )
        body = {
            "id": "EV-" + secrets.token_hex(10),
            "create_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(sealed).decode(),
                "associated_data": associated_data,
                "nonce": nonce,
            },
        }
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = self.signed_headers(raw, timestamp=timestamp, key=key, serial=serial)
        return {"Content-Type": "application/json", **headers}, raw


@contextmanager
def serve(fake: FakeWechatPay) -> Iterator[FakeWechatPay]:
    """Run `fake` as an HTTP server on 127.0.0.1; `fake.base_url` points at it meanwhile."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = dict(self.headers.items())
            status, answer_headers, answer = fake.answer("POST", self.path, headers, body)
            self.send_response(status)
            for name, value in answer_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    previous = fake.base_url
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        fake.base_url = previous
