"""Secrets Plumbline must use later but never show again (a webhook's signing secret, a registry's token),
encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from ``SECRET_KEY`` by HKDF.

A database dump alone does not reveal them; rotating ``SECRET_KEY`` makes them unreadable, and the pages that
use them then ask for them again (``SecretUnavailable``) instead of failing.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"plumbline stored secrets v1"


class SecretUnavailable(Exception):
    """The stored secret cannot be decrypted (``SECRET_KEY`` changed since it was stored): set it again."""


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(value: str) -> str:
    """The value encrypted for storage (text, safe for a TextField); empty stays empty."""
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt_secret(stored: str) -> str:
    """The stored value decrypted; raises ``SecretUnavailable`` when it was stored under another key."""
    if not stored:
        return ""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnavailable(
            "The stored secret was encrypted under another SECRET_KEY; set it again."
        ) from exc
