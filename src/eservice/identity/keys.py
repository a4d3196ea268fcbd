"""The token signing key set: one key signs, every listed key verifies (rotation).

Keys come from ``ESERVICE_JWT_SIGNING_KEY`` (PEM text) or ``ESERVICE_JWT_SIGNING_KEY_FILE``,
plus older keys still accepted for verification in ``ESERVICE_JWT_VERIFY_KEY_FILES``
(comma-separated PEM files, public or private). Outside production, when nothing is
configured, an ES256 key is generated once into ``<data_dir>/keys/``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk
from jose.backends.base import Key

from eservice.core.config import Settings
from eservice.identity.token_cache import VerifiedTokens

SUPPORTED_ALGORITHMS: tuple[str, ...] = ("ES256", "RS256")
DEV_KEY_NAME = "signing-es256.pem"


class KeyConfigError(Exception):
    """A signing or verification key cannot be used; the message names the setting."""


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    algorithm: str
    key: Key
    public_jwk: dict[str, Any]


@dataclass(frozen=True)
class KeySet:
    """The signing key and all keys accepted for verification, indexed by ``kid``."""

    signing: VerificationKey
    signing_key: Key
    verification: dict[str, VerificationKey] = field(default_factory=dict)
    # Tokens already verified with these keys (identity.token_cache).
    verified: VerifiedTokens = field(default_factory=VerifiedTokens, compare=False, repr=False)

    def find(self, kid: object) -> VerificationKey | None:
        """The key with this ``kid`` from our own set only, or None."""
        if not isinstance(kid, str):
            return None
        return self.verification.get(kid)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public keys as an RFC 7517 key set."""
        return {"keys": [k.public_jwk for k in self.verification.values()]}


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _public_members(public: Any) -> tuple[str, dict[str, str]]:
    """The algorithm and the RFC 7638 required members of a public key."""
    if isinstance(public, ec.EllipticCurvePublicKey):
        if not isinstance(public.curve, ec.SECP256R1):
            raise KeyConfigError("only P-256 EC keys (ES256) are supported")
        numbers = public.public_numbers()
        x = numbers.x.to_bytes(32, "big")
        y = numbers.y.to_bytes(32, "big")
        return "ES256", {
            "crv": "P-256",
            "kty": "EC",
            "x": base64.urlsafe_b64encode(x).decode().rstrip("="),
            "y": base64.urlsafe_b64encode(y).decode().rstrip("="),
        }
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < 2048:
            raise KeyConfigError("RSA keys must have at least 2048 bits")
        rsa_numbers = public.public_numbers()
        return "RS256", {"e": _b64(rsa_numbers.e), "kty": "RSA", "n": _b64(rsa_numbers.n)}
    raise KeyConfigError("only EC P-256 (ES256) and RSA (RS256) keys are supported")


def _thumbprint(members: dict[str, str]) -> str:
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).decode().rstrip("=")


def _public_of(pem: bytes, *, private_required: bool, source: str) -> Any:
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        if private_required:
            raise KeyConfigError(f"{source} is not an unencrypted PEM private key") from None
        try:
            return serialization.load_pem_public_key(pem)
        except ValueError:
            raise KeyConfigError(f"{source} is not a PEM key") from None
    if not isinstance(private, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise KeyConfigError(f"{source}: only EC P-256 and RSA keys are supported")
    return private.public_key()


def verification_key(pem: bytes, *, source: str) -> VerificationKey:
    """A verification key (public part of ``pem``) with its thumbprint ``kid``."""
    public = _public_of(pem, private_required=False, source=source)
    try:
        algorithm, members = _public_members(public)
    except KeyConfigError as exc:
        raise KeyConfigError(f"{source}: {exc}") from None
    kid = _thumbprint(members)
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = jwk.construct(public_pem, algorithm)
    public_jwk = {**members, "kid": kid, "alg": algorithm, "use": "sig"}
    return VerificationKey(kid=kid, algorithm=algorithm, key=key, public_jwk=public_jwk)


def generate_dev_key(directory: Path) -> Path:
    """Create (once) an ES256 private key for development under ``directory``."""
    path = directory / DEV_KEY_NAME
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = directory / (DEV_KEY_NAME + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    if path.exists():  # another process won the race; keep its key
        tmp.unlink()
    else:
        tmp.replace(path)
    return path


def _read(path_text: str, setting: str) -> bytes:
    path = Path(path_text).expanduser()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeyConfigError(f"{setting}: cannot read {path}: {exc.strerror}") from None


def build_key_set(settings: Settings) -> KeySet:
    """Load the configured keys (or the development key); raise KeyConfigError if unusable."""
    if settings.jwt_signing_key:
        pem = settings.jwt_signing_key.replace("\\n", "\n").encode()
        source = "ESERVICE_JWT_SIGNING_KEY"
    elif settings.jwt_signing_key_file:
        pem = _read(settings.jwt_signing_key_file, "ESERVICE_JWT_SIGNING_KEY_FILE")
        source = "ESERVICE_JWT_SIGNING_KEY_FILE"
    elif settings.env == "production":
        raise KeyConfigError("ESERVICE_JWT_SIGNING_KEY_FILE must be configured in production")
    else:
        pem = generate_dev_key(settings.data_path / "keys").read_bytes()
        source = "the development key"
    _public_of(pem, private_required=True, source=source)
    signing = verification_key(pem, source=source)
    signing_key = jwk.construct(pem, signing.algorithm)
    verification = {signing.kid: signing}
    for part in settings.jwt_verify_key_files.split(","):
        if part.strip():
            extra = verification_key(
                _read(part.strip(), "ESERVICE_JWT_VERIFY_KEY_FILES"),
                source=f"ESERVICE_JWT_VERIFY_KEY_FILES ({part.strip()})",
            )
            verification.setdefault(extra.kid, extra)
    return KeySet(signing=signing, signing_key=signing_key, verification=verification)


_cache: dict[tuple[object, ...], KeySet] = {}
_lock = threading.Lock()


def key_set(settings: Settings) -> KeySet:
    """The key set for these settings, loaded once per process."""
    cache_key = (
        settings.env,
        settings.jwt_signing_key,
        settings.jwt_signing_key_file,
        settings.jwt_verify_key_files,
        # The raw setting, not data_path: resolving it costs syscalls on every request.
        settings.data_dir,
    )
    found = _cache.get(cache_key)
    if found is not None:
        return found
    with _lock:
        found = _cache.get(cache_key)
        if found is None:
            found = build_key_set(settings)
            _cache[cache_key] = found
    return found
