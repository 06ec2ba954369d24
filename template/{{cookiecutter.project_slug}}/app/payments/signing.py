"""WeChat Pay API v3 cryptography: request signatures, notification checks, the AEAD resource.

Everything here is pure (no I/O, no clock of its own), so the fakes in the tests use the
same functions from the other side of the wire.

- Requests to WeChat Pay carry `Authorization: WECHATPAY2-SHA256-RSA2048 ...`, an RSA-SHA256
  (PKCS#1 v1.5) signature by the *merchant* key over
  `METHOD\\nPATH?QUERY\\ntimestamp\\nnonce\\nbody\\n`.
- Answers and notifications are signed the same way by the WeChat Pay *platform* key over
  `timestamp\\nnonce\\nbody\\n`, the body as raw bytes.
- A notification's `resource` is AEAD_AES_256_GCM under the APIv3 key.
"""

import base64
import binascii
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
# The official Go SDK's window: a notification signed this long ago (or ahead) is refused.
FRESHNESS_SECONDS = 300
_NONCE_ALPHABET = string.ascii_uppercase + string.digits


class SignatureRejected(Exception):
    """A notification or answer that must not be trusted; the message says why (for logs)."""


class ResourceUndecryptable(Exception):
    """The resource failed its GCM tag after a good signature: the APIv3 key is wrong."""


def _pem_bytes(pem_or_path: str) -> bytes:
    text = pem_or_path.strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    return Path(text).expanduser().read_bytes()


def load_private_key(pem_or_path: str) -> rsa.RSAPrivateKey:
    """The merchant's private key (`apiclient_key.pem`), given as PEM text or a file path."""
    key = serialization.load_pem_private_key(_pem_bytes(pem_or_path), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the WeChat Pay merchant key must be an RSA key")
    return key


def load_public_key(pem_or_path: str) -> rsa.RSAPublicKey:
    """The platform's public key (`pub_key.pem`) or platform certificate, as PEM or a path."""
    data = _pem_bytes(pem_or_path)
    key = (
        x509.load_pem_x509_certificate(data).public_key()
        if b"BEGIN CERTIFICATE" in data
        else serialization.load_pem_public_key(data)
    )
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the WeChat Pay platform key must be an RSA key")
    return key


def new_nonce(length: int = 32) -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    """Base64 RSASSA-PKCS1-v1_5 / SHA-256, as every v3 signature is."""
    signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify(public_key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def request_message(
    method: str, path_and_query: str, timestamp: str, nonce: str, body: bytes
) -> bytes:
    """What the merchant signs for a request: no host, and always the body line (empty on GET)."""
    head = f"{method.upper()}\n{path_and_query}\n{timestamp}\n{nonce}\n".encode()
    return head + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What the platform signs for an answer or a notification: the raw body as received."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


@dataclass(frozen=True, slots=True)
class Merchant:
    """The merchant's identity and key, from the WECHATPAY_* settings."""

    mch_id: str
    app_id: str
    serial: str
    private_key: rsa.RSAPrivateKey

    def authorization(
        self, method: str, path_and_query: str, body: bytes, *, timestamp: int, nonce: str
    ) -> str:
        """The `Authorization` header of a request to WeChat Pay."""
        message = request_message(method, path_and_query, str(timestamp), nonce, body)
        fields = {
            "mchid": self.mch_id,
            "nonce_str": nonce,
            "signature": sign(self.private_key, message),
            "timestamp": str(timestamp),
            "serial_no": self.serial,
        }
        return SIGNATURE_TYPE + " " + ",".join(f'{k}="{v}"' for k, v in fields.items())

    def request_payment(self, prepay_id: str, *, timestamp: int, nonce: str) -> dict[str, str]:
        """The arguments of `wx.requestPayment`: appId is signed over, not passed by the client."""
        package = f"prepay_id={prepay_id}"
        message = f"{self.app_id}\n{timestamp}\n{nonce}\n{package}\n".encode()
        return {
            "appId": self.app_id,
            "timeStamp": str(timestamp),
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": sign(self.private_key, message),
        }


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of a v3 `Authorization` header (what the fake WeChat Pay checks)."""
    scheme, _, rest = header.partition(" ")
    if scheme != SIGNATURE_TYPE:
        raise SignatureRejected(f"authorization scheme {scheme!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, _, value = part.strip().partition("=")
        fields[key] = value.strip('"')
    return fields


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name) or headers.get(name.lower())
    if not value:
        raise SignatureRejected(f"missing {name}")
    return value


def check_signed(
    headers: Mapping[str, str],
    body: bytes,
    platform_keys: Mapping[str, rsa.RSAPublicKey],
    now: datetime,
) -> None:
    """Raise `SignatureRejected` unless WeChat Pay's platform key signed `body` just now.

    The order is the protocol's: signature type, freshness, key by serial, then the
    signature itself, so nothing else is looked at before trust is established.
    """
    kind = _header(headers, "Wechatpay-Signature-Type")
    if kind != SIGNATURE_TYPE:
        raise SignatureRejected(f"signature type {kind!r}")
    timestamp = _header(headers, "Wechatpay-Timestamp")
    nonce = _header(headers, "Wechatpay-Nonce")
    signature = _header(headers, "Wechatpay-Signature")
    serial = _header(headers, "Wechatpay-Serial")
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise SignatureRejected(f"timestamp {timestamp!r} is not Unix seconds") from None
    if abs(now.timestamp() - signed_at) >= FRESHNESS_SECONDS:
        raise SignatureRejected(f"timestamp {signed_at} is outside the {FRESHNESS_SECONDS}s window")
    key = platform_keys.get(serial)
    if key is None:
        raise SignatureRejected(f"unknown platform serial {serial!r}")
    if not verify(key, response_message(timestamp, nonce, body), signature):
        raise SignatureRejected("signature does not verify")


def decrypt_resource(
    api_v3_key: bytes, *, nonce: str, associated_data: str, ciphertext: str
) -> bytes:
    """AEAD_AES_256_GCM: the ciphertext is base64, its last 16 bytes are the tag."""
    try:
        data = base64.b64decode(ciphertext, validate=True)
        return AESGCM(api_v3_key).decrypt(nonce.encode(), data, associated_data.encode() or None)
    except (InvalidTag, binascii.Error, ValueError) as error:
        raise ResourceUndecryptable(type(error).__name__) from None


def encrypt_resource(
    api_v3_key: bytes, plaintext: bytes, *, nonce: str, associated_data: str
) -> str:
    """The inverse of `decrypt_resource`, for the mock channel and the tests' fakes."""
    sealed = AESGCM(api_v3_key).encrypt(nonce.encode(), plaintext, associated_data.encode() or None)
    return base64.b64encode(sealed).decode("ascii")
