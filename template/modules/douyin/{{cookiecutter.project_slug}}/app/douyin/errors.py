"""What can go wrong talking to Douyin, as one tree of exceptions:

    DouyinError
    ├── DouyinTransportError      no answer: connection refused, reset   (retryable)
    │   └── DouyinTimeout         no answer in DOUYIN_TIMEOUT            (retryable)
    ├── DouyinApiError            Douyin answered with an error envelope (code, sub_code)
    │   ├── DouyinUnavailable     system busy or down, HTTP 5xx          (retryable)
    │   ├── DouyinRateLimited     flow control                           (retryable)
    │   ├── DouyinSignatureRejected  the signature or app key is wrong (a configuration error)
    │   ├── DouyinPermissionDenied   the app lacks the API's permission
    │   ├── DouyinInvalidRequest     missing or bad parameters
    │   ├── DouyinBusinessError      the call was understood and refused
    │   └── DouyinAuthError          a token or authorization problem
    │       ├── AccessTokenExpired       refresh the access token and call again
    │       └── ReauthorizationRequired  the refresh token or code is spent: authorize again
    └── TokenUnavailable          no usable token now (backing off after failed refreshes)

The code table below follows public SDKs and examples, not Douyin's own documents (see
`app.douyin.__init__`); the fake gateway in the tests speaks it.
"""

from collections.abc import Mapping
from typing import Any

SUCCESS = 10000


class DouyinError(Exception):
    retryable = False


class DouyinTransportError(DouyinError):
    retryable = True


class DouyinTimeout(DouyinTransportError):
    pass


class DouyinApiError(DouyinError):
    def __init__(
        self, code: int, sub_code: str = "", message: str = "", log_id: str | None = None
    ) -> None:
        self.code = code
        self.sub_code = sub_code
        self.message = message
        self.log_id = log_id
        detail = f"{code}/{sub_code}" if sub_code else str(code)
        super().__init__(
            f"Douyin error {detail}: {message}" if message else f"Douyin error {detail}"
        )


class DouyinUnavailable(DouyinApiError):
    retryable = True


class DouyinRateLimited(DouyinApiError):
    retryable = True


class DouyinSignatureRejected(DouyinApiError):
    pass


class DouyinPermissionDenied(DouyinApiError):
    pass


class DouyinInvalidRequest(DouyinApiError):
    pass


class DouyinBusinessError(DouyinApiError):
    pass


class DouyinAuthError(DouyinApiError):
    pass


class AccessTokenExpired(DouyinAuthError):
    pass


class ReauthorizationRequired(DouyinAuthError):
    pass


class TokenUnavailable(DouyinError):
    """No usable access token for a shop right now; `retry_after` seconds until one may be."""

    def __init__(self, shop_id: str, reason: str, retry_after: float | None = None) -> None:
        self.shop_id = shop_id
        self.retry_after = retry_after
        super().__init__(f"no usable Douyin token for shop {shop_id}: {reason}")


def classify(code: int, sub_code: str, message: str, log_id: str | None) -> DouyinApiError:
    """The exception for an error envelope. `sub_code` is matched first, the code second."""
    sub = sub_code.lower()
    kind: type[DouyinApiError]
    if "access-token" in sub or "access_token" in sub:
        kind = AccessTokenExpired
    elif "refresh-token" in sub or "refresh_token" in sub or "code-invalid" in sub:
        kind = ReauthorizationRequired
    elif "sign" in sub or "app-key" in sub:
        kind = DouyinSignatureRejected
    elif "limit" in sub or code == 90000:
        kind = DouyinRateLimited
    elif sub.startswith("isp.") or code in (20000, 20001):
        kind = DouyinUnavailable
    elif code in (30001, 30002):
        kind = DouyinPermissionDenied
    elif code in (40001, 40002):
        kind = DouyinInvalidRequest
    elif code == 40004:
        kind = DouyinAuthError
    else:
        kind = DouyinBusinessError
    return kind(code, sub_code, message, log_id)


def from_envelope(payload: Mapping[str, Any]) -> tuple[bool, int, str, str, str | None]:
    """(succeeded, code, sub_code, message, log_id) of a gateway answer, old or new style."""
    log_id = str(payload["log_id"]) if payload.get("log_id") else None
    if "code" in payload:
        code = int(payload["code"])
        succeeded = code == SUCCESS
    else:
        code = int(payload.get("err_no", -1))
        succeeded = code == 0
    message = str(payload.get("sub_msg") or payload.get("msg") or payload.get("message") or "")
    return succeeded, code, str(payload.get("sub_code") or ""), message, log_id
