"""The WeChat Pay API v3 channel: JSAPI prepay out, verified notifications in.

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
Clock = Callable[[], datetime]


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

    def open_transaction(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> Transaction:
        """Verify, decrypt and read a notification; raise `NotificationRejected` otherwise."""
        try:
            signing.check_signed(headers, body, self.platform_keys, now)
        except signing.SignatureRejected as error:
            raise NotificationRejected(401, f"signature rejected: {error}") from None
        try:
            notification = json.loads(body)
            resource = notification["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise NotificationRejected(400, "unsupported resource algorithm")
            plaintext = signing.decrypt_resource(
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
        transaction = _transaction(plaintext)
        if transaction.mch_id != self.merchant.mch_id or transaction.app_id != self.merchant.app_id:
            raise NotificationRejected(400, "notification for another merchant or app")
        return transaction


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

    async def _post(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
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
            raise _error_for(response)
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


def _error_for(response: httpx.Response) -> ShopError:
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
    return WechatPayDeclined(f"WeChat Pay declined the payment ({code or response.status_code})")
