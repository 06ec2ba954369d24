"""The WeChat Pay API v3 channel: JSAPI prepay and domestic refunds out, verified
notifications of payments and refunds in.

Only WeChat Pay's *platform* key is trusted for what comes back; the merchant key only signs.
"""

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from app.core.config import Settings
from app.core.errors import Code, ShopError, UpstreamBusy, UpstreamError, UpstreamTimeout
from app.payments import signing

logger = logging.getLogger(__name__)

PREPAY_PATH = "/v3/pay/transactions/jsapi"
REFUND_PATH = "/v3/refund/domestic/refunds"
Clock = Callable[[], datetime]
# What WeChat Pay says of a refund, in answers and in REFUND.* notifications.
REFUND_STATUSES = frozenset({"SUCCESS", "CLOSED", "PROCESSING", "ABNORMAL"})


@dataclass(frozen=True, slots=True)
class Transaction:
    """The decrypted `resource` of a TRANSACTION.SUCCESS notification, the fields we check."""

    app_id: str
    mch_id: str
    out_trade_no: str
    transaction_id: str
    trade_state: str
    total: int
    currency: str
    success_time: datetime | None


@dataclass(frozen=True, slots=True)
class RefundResult:
    """A refund as WeChat Pay reports it: in the answer to a refund request, or decrypted
    from a REFUND.SUCCESS / REFUND.CLOSED / REFUND.ABNORMAL notification."""

    mch_id: str | None
    out_refund_no: str
    refund_id: str
    status: str
    refund: int | None
    success_time: datetime | None


class NotificationRejected(Exception):
    """A notification answered with WeChat Pay's FAIL shape; nothing was changed."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class WechatPayDeclined(ShopError):
    status_code, code, msg = 502, Code.UPSTREAM_ERROR, "WeChat Pay declined the payment"


@dataclass(frozen=True, slots=True)
class WechatPay:
    """The merchant, the platform keys it trusts, and the APIv3 key, loaded once."""

    merchant: signing.Merchant
    platform_keys: Mapping[str, rsa.RSAPublicKey]
    api_v3_key: bytes
    api_base: str
    notify_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "WechatPay":
        assert settings.wechatpay_enabled
        assert settings.wechatpay_private_key is not None
        assert settings.wechatpay_api_v3_key is not None
        assert settings.wechatpay_platform_public_key and settings.wechatpay_platform_serial
        merchant = signing.Merchant(
            mch_id=str(settings.wechatpay_mch_id),
            app_id=str(settings.wechatpay_app_id),
            serial=str(settings.wechatpay_cert_serial),
            private_key=signing.load_private_key(settings.wechatpay_private_key.get_secret_value()),
        )
        platform = signing.load_public_key(settings.wechatpay_platform_public_key)
        return cls(
            merchant=merchant,
            platform_keys={settings.wechatpay_platform_serial: platform},
            api_v3_key=settings.wechatpay_api_v3_key.get_secret_value().encode(),
            api_base=settings.wechatpay_api_base.rstrip("/"),
            notify_url=str(settings.payment_notify_url),
        )

    def _open(self, headers: Mapping[str, str], body: bytes, now: datetime) -> bytes:
        """Verify a notification and decrypt its resource; `NotificationRejected` otherwise.
        Payment and refund notifications are checked the same way, step by step."""
        try:
            signing.check_signed(headers, body, self.platform_keys, now)
        except signing.SignatureRejected as error:
            raise NotificationRejected(401, f"signature rejected: {error}") from None
        try:
            notification = json.loads(body)
            resource = notification["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise NotificationRejected(400, "unsupported resource algorithm")
            return signing.decrypt_resource(
                self.api_v3_key,
                nonce=str(resource["nonce"]),
                associated_data=str(resource.get("associated_data") or ""),
                ciphertext=str(resource["ciphertext"]),
            )
        except signing.ResourceUndecryptable:
            logger.error("WeChat Pay resource did not decrypt: check WECHATPAY_API_V3_KEY")
            raise NotificationRejected(500, "resource did not decrypt") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise NotificationRejected(400, "malformed notification") from None

    def open_transaction(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> Transaction:
        """Verify, decrypt and read a payment notification."""
        transaction = _transaction(self._open(headers, body, now))
        if transaction.mch_id != self.merchant.mch_id or transaction.app_id != self.merchant.app_id:
            raise NotificationRejected(400, "notification for another merchant or app")
        return transaction

    def open_refund(self, headers: Mapping[str, str], body: bytes, now: datetime) -> RefundResult:
        """Verify, decrypt and read a refund notification (it names no app, only the
        merchant)."""
        try:
            refund = refund_result(json.loads(self._open(headers, body, now)))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise NotificationRejected(400, "malformed refund") from None
        if refund.mch_id != self.merchant.mch_id:
            raise NotificationRejected(400, "notification for another merchant")
        if refund.status == "PROCESSING":
            raise NotificationRejected(400, "a notification reports a final refund status")
        return refund


def _transaction(plaintext: bytes) -> Transaction:
    try:
        data: dict[str, Any] = json.loads(plaintext)
        amount = data["amount"]
        success = data.get("success_time")
        return Transaction(
            app_id=str(data["appid"]),
            mch_id=str(data["mchid"]),
            out_trade_no=str(data["out_trade_no"]),
            transaction_id=str(data.get("transaction_id") or ""),
            trade_state=str(data["trade_state"]),
            total=_fen(amount["total"]),
            currency=str(amount.get("currency") or "CNY"),
            success_time=datetime.fromisoformat(success).astimezone(UTC) if success else None,
        )
    except (ValueError, KeyError, TypeError):
        raise NotificationRejected(400, "malformed transaction") from None


def refund_result(data: Mapping[str, Any]) -> RefundResult:
    """A refund from WeChat Pay's JSON, in an answer (`status`) or a notification
    (`refund_status`)."""
    status = str(data.get("refund_status") or data.get("status") or "")
    if status not in REFUND_STATUSES:
        raise ValueError(f"refund status {status!r}")
    amount = data.get("amount") or {}
    success = data.get("success_time")
    return RefundResult(
        mch_id=str(data["mchid"]) if data.get("mchid") else None,
        out_refund_no=str(data["out_refund_no"]),
        refund_id=str(data.get("refund_id") or ""),
        status=status,
        refund=_fen(amount["refund"]) if "refund" in amount else None,
        success_time=datetime.fromisoformat(success).astimezone(UTC) if success else None,
    )


def _fen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("amount.total is not an integer")
    return value


class WechatPayClient:
    """Calls to WeChat Pay: signed by the merchant, answers checked against the platform key."""

    def __init__(
        self, http: httpx.AsyncClient, config: WechatPay, clock: Clock, *, timeout: float = 5.0
    ) -> None:
        self._http = http
        self._config = config
        self._clock = clock
        self._timeout = timeout

    @property
    def merchant(self) -> signing.Merchant:
        return self._config.merchant

    async def prepay(
        self,
        *,
        out_trade_no: str,
        description: str,
        total_fen: int,
        openid: str,
        time_expire: datetime | None,
    ) -> str:
        """Place a JSAPI order; its `prepay_id`."""
        payload: dict[str, Any] = {
            "appid": self.merchant.app_id,
            "mchid": self.merchant.mch_id,
            "description": description[:127],
            "out_trade_no": out_trade_no,
            "notify_url": self._config.notify_url,
            "amount": {"total": total_fen, "currency": "CNY"},
            "payer": {"openid": openid},
        }
        if time_expire is not None:
            payload["time_expire"] = time_expire.astimezone(UTC).isoformat(timespec="seconds")
        answer = await self._post(PREPAY_PATH, payload)
        prepay_id = answer.get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise UpstreamError("WeChat Pay answered without a prepay_id")
        return prepay_id

    async def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        reason: str,
        refund_fen: int,
        total_fen: int,
        notify_url: str | None,
    ) -> RefundResult:
        """Ask for a domestic refund; what WeChat Pay says of it (usually PROCESSING).
        Sending the same `out_refund_no` again asks about the same refund, never a second."""
        payload: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "reason": reason[:80],
            "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"},
        }
        if notify_url:
            payload["notify_url"] = notify_url
        answer = await self._post(REFUND_PATH, payload, declined="the refund")
        try:
            return refund_result(answer)
        except (ValueError, KeyError, TypeError):
            raise UpstreamError("WeChat Pay answered a refund it did not describe") from None

    async def _post(
        self, path: str, payload: Mapping[str, Any], *, declined: str = "the payment"
    ) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        now = self._clock()
        authorization = self.merchant.authorization(
            "POST", path, body, timestamp=int(now.timestamp()), nonce=signing.new_nonce()
        )
        headers = {
            "Authorization": authorization,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        try:
            response = await self._http.post(
                self._config.api_base + path, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise UpstreamTimeout("WeChat Pay did not answer in time") from None
        except httpx.HTTPError as error:
            logger.warning("WeChat Pay unreachable: %s", type(error).__name__)
            raise UpstreamError("WeChat Pay could not be reached") from None
        if response.status_code >= 400:
            raise _error_for(response, declined)
        try:
            signing.check_signed(
                response.headers, response.content, self._config.platform_keys, self._clock()
            )
        except signing.SignatureRejected as error:
            logger.error("WeChat Pay answer failed verification: %s", error)
            raise UpstreamError("WeChat Pay's answer did not verify") from None
        try:
            answer = json.loads(response.content)
        except ValueError:
            raise UpstreamError("WeChat Pay answered something that is not JSON") from None
        if not isinstance(answer, dict):
            raise UpstreamError("WeChat Pay answered something unexpected")
        return answer


def _error_for(response: httpx.Response, declined: str) -> ShopError:
    try:
        detail = json.loads(response.content)
        code, message = str(detail.get("code", "")), str(detail.get("message", ""))
    except (ValueError, AttributeError):
        code, message = "", ""
    logger.warning("WeChat Pay answered HTTP %s %s %s", response.status_code, code, message)
    if response.status_code == 429 or code in ("FREQUENCY_LIMITED", "SYSTEM_ERROR"):
        return UpstreamBusy("WeChat Pay is busy; retry shortly", headers={"Retry-After": "1"})
    if response.status_code >= 500:
        return UpstreamError("WeChat Pay answered with an error")
    return WechatPayDeclined(f"WeChat Pay declined {declined} ({code or response.status_code})")
