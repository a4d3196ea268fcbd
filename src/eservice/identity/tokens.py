"""Access tokens (JWT, ours) and opaque secrets (refresh tokens, emailed tokens).

Access tokens are verified without a database query: signature by a key from our own key
set (looked up by ``kid``), an explicit one-algorithm list per key, required registered
claims, and our own ``typ``. Anything wrong is one generic 401.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from jose import jwt
from jose.exceptions import JOSEError

from eservice.core.config import Settings
from eservice.core.errors import Unauthorized
from eservice.identity.keys import KeySet, key_set
from eservice.identity.principal import Principal

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - the JOSE typ of access tokens
MAX_TOKEN_LENGTH = 8192
CLOCK_LEEWAY_SECONDS = 5
REQUIRED_CLAIMS = ("exp", "iat", "sub", "aud", "iss", "jti")
_KINDS = frozenset({"citizen", "staff", "client"})


def issue_access_token(settings: Settings, principal: Principal) -> tuple[str, int]:
    """A signed access token for ``principal`` and its lifetime in seconds."""
    keys = key_set(settings)
    now = int(time.time())
    ttl = settings.access_token_ttl
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(principal.id),
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "kind": principal.kind,
        "locale": principal.locale,
    }
    if principal.is_client:
        claims["scope"] = " ".join(sorted(principal.scopes))
        if principal.services is not None:
            claims["services"] = sorted(principal.services)
        if principal.display_name:
            claims["name"] = principal.display_name
    else:
        claims["roles"] = sorted(principal.roles)
        claims["departments"] = sorted(principal.departments)
        claims["email"] = principal.email
        claims["email_verified"] = principal.email_verified
        claims["name"] = principal.display_name
    token = jwt.encode(
        claims,
        keys.signing_key,
        algorithm=keys.signing.algorithm,
        headers={"kid": keys.signing.kid, "typ": ACCESS_TOKEN_TYPE},
    )
    return token, ttl


def decode_options() -> dict[str, Any]:
    """python-jose options: verify everything and require every registered claim we issue."""
    options: dict[str, Any] = {
        "verify_signature": True,
        "verify_aud": True,
        "verify_iat": True,
        "verify_exp": True,
        "verify_nbf": True,
        "verify_iss": True,
        "verify_sub": True,
        "verify_jti": True,
        "leeway": CLOCK_LEEWAY_SECONDS,
    }
    for claim in REQUIRED_CLAIMS:
        options["require_" + claim] = True
    return options


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, or 401 if the token is not even shaped like a JWS."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise Unauthorized()
    try:
        header = jwt.get_unverified_header(token)
    except (JOSEError, ValueError, TypeError):
        raise Unauthorized() from None
    if not isinstance(header, Mapping):
        raise Unauthorized()
    return dict(header)


def unverified_issuer(token: str) -> str | None:
    """The ``iss`` claim before verification: only used to pick whose keys verify it."""
    try:
        claims = jwt.get_unverified_claims(token)
    except (JOSEError, ValueError, TypeError):
        return None
    issuer = claims.get("iss") if isinstance(claims, Mapping) else None
    return issuer if isinstance(issuer, str) else None


def recently_verified(settings: Settings, keys: KeySet, token: str) -> Principal | None:
    """The principal of an access token these keys verified before, until its ``exp``
    (identity.token_cache: what the cache guarantees)."""
    return keys.verified.get(token, settings.jwt_audience, settings.jwt_issuer)


def verify_access_token(settings: Settings, token: str, keys: KeySet | None = None) -> Principal:
    """The principal an access token of ours speaks for; 401 for anything wrong with it.

    Always verifies; a token that passes is remembered (see ``recently_verified``).
    """
    keys = keys or key_set(settings)
    header = unverified_header(token)
    if header.get("typ") != ACCESS_TOKEN_TYPE:
        raise Unauthorized()
    key = keys.find(header.get("kid"))
    if key is None or header.get("alg") != key.algorithm:
        raise Unauthorized()
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[key.algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options=decode_options(),
        )
    except (JOSEError, ValueError, TypeError, KeyError):
        raise Unauthorized() from None
    principal = principal_from_claims(claims)
    # python-jose has checked that ``exp`` is present and a number (required claim).
    keys.verified.put(
        token, settings.jwt_audience, settings.jwt_issuer, principal, float(claims["exp"])
    )
    return principal


def _strings(value: object) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unauthorized()
    return frozenset(value)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Rebuild the Principal from our own verified claims (types checked, 401 otherwise)."""
    kind = claims.get("kind")
    if kind not in _KINDS:
        raise Unauthorized()
    try:
        subject = UUID(str(claims["sub"]))
    except (ValueError, KeyError):
        raise Unauthorized() from None
    locale = claims.get("locale", "de")
    name = claims.get("name")
    if not isinstance(locale, str) or not (name is None or isinstance(name, str)):
        raise Unauthorized()
    if kind == "client":
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise Unauthorized()
        services = claims.get("services")
        return Principal(
            kind="client",
            id=subject,
            scopes=frozenset(scope.split()),
            services=None if services is None else _strings(services),
            display_name=name,
            locale=locale,
        )
    email = claims.get("email")
    verified = claims.get("email_verified", False)
    if not (email is None or isinstance(email, str)) or not isinstance(verified, bool):
        raise Unauthorized()
    return Principal(
        kind=kind,
        id=subject,
        roles=_strings(claims.get("roles")),
        departments=_strings(claims.get("departments")),
        email=email,
        display_name=name,
        email_verified=verified,
        locale=locale,
    )


def new_opaque_token(prefix: str) -> str:
    """A random bearer secret (256 bits), e.g. ``rt_...`` for refresh tokens."""
    return prefix + secrets.token_urlsafe(32)


def opaque_token_hash(token: str) -> bytes:
    """What is stored for an opaque token: its SHA-256 (the token has 256 bits of entropy)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
