"""Tokens at rest: Fernet (AES-128-CBC + HMAC-SHA256) under keys from DOUYIN_TOKEN_KEYS.

Each configured secret is stretched with HKDF into a Fernet key, so any long random string
works. The first key encrypts, every key decrypts: rotate by putting a new key first,
re-encrypting (tokens are rewritten on every refresh anyway), then dropping the old one.
"""

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"douyin access and refresh tokens"


class TokenKeyError(Exception):
    """A stored token does not decrypt with any configured key."""


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class TokenCipher:
    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("DOUYIN_TOKEN_KEYS is empty: tokens cannot be stored")
        self._fernet = MultiFernet([_fernet(secret) for secret in secrets])

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(
                "a stored Douyin token does not decrypt with DOUYIN_TOKEN_KEYS"
            ) from None
