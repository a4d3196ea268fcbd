"""Webhook signing secrets: generated, shown once, stored sealed with a key from the settings.

The secret must be stored recoverably (the worker signs with it), so it is encrypted with
AES-GCM under a key derived from ``ESERVICE_SECRET_KEY``. Rotating that key makes existing
subscriptions undeliverable; re-create them after a rotation.
"""

from __future__ import annotations

import base64
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format prefix, not a secret
_INFO = b"eservice webhook subscription secrets v1"


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return hkdf.derive(secret_key.encode())


def seal(plaintext: str, secret_key: str, *, associated: bytes) -> bytes:
    """Encrypt ``plaintext``; ``associated`` (e.g. the subscription id) binds it to its row."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_key(secret_key)).encrypt(nonce, plaintext.encode(), associated)


def unseal(sealed: bytes, secret_key: str, *, associated: bytes) -> str:
    """Decrypt what ``seal`` produced; raises ``cryptography.exceptions.InvalidTag`` if altered."""
    nonce, body = sealed[:12], sealed[12:]
    return AESGCM(_key(secret_key)).decrypt(nonce, body, associated).decode()
