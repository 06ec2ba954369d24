"""Signing open-platform requests and checking message pushes (see the table in `__init__`).

    P = secret + "app_key" + app_key + "method" + method + "param_json" + param_json
        + "timestamp" + timestamp + "v" + "2" + secret
    hmac-sha256: lower-case hex HMAC-SHA256(key=secret, P)
    md5:         lower-case hex MD5(P)

`param_json` is built once and sent as it was signed: the gateway checks the string it
receives, so re-serialising between signing and sending would break the signature on any
difference (key order, spacing, `\\u` escapes).
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from app.douyin.config import SignMethod

VERSION = "2"


def _no_floats(value: Any) -> Any:
    """Douyin parameters are integers and strings: a float's text differs between JSON
    libraries (`1.0` or `1`), so it would sign differently from what another client sends."""
    if isinstance(value, float):
        raise TypeError("Douyin parameters must not be floats; send integers or strings")
    if isinstance(value, Mapping):
        for item in value.values():
            _no_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _no_floats(item)
    return value


def param_json(params: Mapping[str, Any], *, ascii_only: bool = False) -> str:
    """Keys sorted at every level, no whitespace; raw UTF-8 unless `ascii_only`."""
    _no_floats(params)
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)


def signed_string(app_key: str, secret: str, method: str, params_json: str, timestamp: str) -> str:
    return (
        f"{secret}app_key{app_key}method{method}param_json{params_json}"
        f"timestamp{timestamp}v{VERSION}{secret}"
    )


def _digest(sign_method: SignMethod, secret: str, message: bytes) -> str:
    if sign_method == "hmac-sha256":
        return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hashlib.md5(message, usedforsecurity=False).hexdigest()


def sign(
    sign_method: SignMethod,
    *,
    app_key: str,
    secret: str,
    method: str,
    params_json: str,
    timestamp: str,
) -> str:
    payload = signed_string(app_key, secret, method, params_json, timestamp).encode()
    return _digest(sign_method, secret, payload)


def push_signature(sign_method: SignMethod, *, app_key: str, secret: str, body: bytes) -> str:
    """The `event-sign` of a push: over app key + raw body + secret."""
    return _digest(sign_method, secret, app_key.encode() + body + secret.encode())


def verify_push(
    sign_method: SignMethod, *, app_key: str, secret: str, body: bytes, signature: str | None
) -> bool:
    if not signature:
        return False
    expected = push_signature(sign_method, app_key=app_key, secret=secret, body=body)
    return hmac.compare_digest(expected, signature.strip().lower())
