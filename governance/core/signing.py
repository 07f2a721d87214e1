"""The key that signs audit checkpoints (Ed25519, the ``cryptography`` package).

``AUDIT_SIGNING_KEY`` is the private key, as PEM text or the path of a PEM file. Without it (the embedded
default) a key is generated under ``var/`` on first use, and the log says so: fine for a laptop, not for
production, where the key must outlive the host. ``AUDIT_PREVIOUS_PUBLIC_KEYS`` lists the public keys (PEM files)
of keys rotated out, so checkpoints they signed still verify. A key is named by its fingerprint: the first 16 hex
digits of the SHA-256 of its raw public bytes, which an auditor pins.
"""

import hashlib
import logging
import os
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

logger = logging.getLogger(__name__)
GENERATED_KEY_NAME = "audit-signing-key.pem"


def _pem(value: str) -> bytes:
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    return Path(text).read_bytes()


@cache
def signing_key() -> Ed25519PrivateKey:
    configured = settings.AUDIT_SIGNING_KEY
    if configured:
        key = serialization.load_pem_private_key(_pem(configured), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("AUDIT_SIGNING_KEY must be an Ed25519 private key.")
        return key
    path = Path(settings.VAR_DIR) / GENERATED_KEY_NAME
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Written whole under another name, then linked into place: two processes starting at once end up with
        # the same key (the second link fails and that process reads the first one's).
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        try:
            os.link(temporary, path)
            logger.warning("Generated an audit signing key at %s; set AUDIT_SIGNING_KEY in production.", path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def full_fingerprint(key: Ed25519PublicKey) -> str:
    """The SHA-256 of the raw public key, 64 hexadecimal digits: what an auditor pins (--trust-key)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def fingerprint(key: Ed25519PublicKey) -> str:
    """The short name of a key in checkpoints: the first 16 digits of its full fingerprint."""
    return full_fingerprint(key)[:16]


def trusted_public_keys() -> dict[str, Ed25519PublicKey]:
    """Fingerprint -> key: the signing key's and every previous one configured."""
    keys = {}
    current = signing_key().public_key()
    keys[fingerprint(current)] = current
    for item in settings.AUDIT_PREVIOUS_PUBLIC_KEYS:
        key = serialization.load_pem_public_key(_pem(item))
        if isinstance(key, Ed25519PublicKey):
            keys[fingerprint(key)] = key
    return keys


def sign(payload: bytes) -> tuple[str, bytes]:
    """(the signing key's fingerprint, the signature of ``payload``)."""
    key = signing_key()
    return fingerprint(key.public_key()), key.sign(payload)


def signature_valid(key_id: str, payload: bytes, signature: bytes) -> bool | None:
    """True or False; None when ``key_id`` is not a trusted key."""
    key = trusted_public_keys().get(key_id)
    if key is None:
        return None
    try:
        key.verify(signature, payload)
    except InvalidSignature:
        return False
    return True


def published_keys() -> list[dict[str, str | bool]]:
    """The trusted public keys as pages and bundles publish them: short id, full fingerprint, PEM, and whether
    it is the key signing now."""
    current = fingerprint(signing_key().public_key())
    return [
        {
            "fingerprint": key_id,
            "full": full_fingerprint(key),
            "pem": public_key_pem(key),
            "current": key_id == current,
        }
        for key_id, key in trusted_public_keys().items()
    ]
