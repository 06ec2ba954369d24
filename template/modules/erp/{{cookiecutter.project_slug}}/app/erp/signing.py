"""Signing deliveries and checking the ERP's pushes, one scheme both ways:

    X-Shopgen-Timestamp: <Unix seconds>
    X-Shopgen-Signature: sha256=<lower-case hex HMAC-SHA256(ERP_SECRET, timestamp + "." + body)>

The timestamp is signed with the body, so a captured request cannot be replayed after the
tolerance; the raw body is signed, so nothing is parsed before it is trusted.
"""

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Shopgen-Timestamp"
SIGNATURE_HEADER = "X-Shopgen-Signature"
_PREFIX = "sha256="


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return _PREFIX + digest.hexdigest()


def verify(
    secret: str,
    *,
    timestamp: str | None,
    body: bytes,
    header: str | None,
    now: float,
    tolerance: int,
) -> bool:
    if not timestamp or not header or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header.strip())
