"""Small helpers shared by the identity tests."""

from __future__ import annotations

import time
import uuid
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from httpx import Response
from jose import jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eservice.core.config import Settings
from eservice.identity.keys import key_set

Client = AsyncTestClient[Litestar]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
GENERIC_401 = "Missing or invalid credentials."


def ec_private_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def rsa_private_pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def our_claims(
    settings: Settings, subject: uuid.UUID | None = None, **changes: Any
) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(subject or uuid.uuid4()),
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "kind": "staff",
        "roles": ["admin"],
        "departments": ["verkehr"],
        "locale": "de",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def sign_as_us(settings: Settings, claims: dict[str, Any], **header: Any) -> str:
    """A token signed with our real signing key (to test claim checks)."""
    keys = key_set(settings)
    headers = {"kid": keys.signing.kid, "typ": "at+jwt", **header}
    return jwt.encode(claims, keys.signing_key, algorithm=keys.signing.algorithm, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def password_login(client: Client, username: str, password: str) -> Response:
    return await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
        headers=FORM,
    )


async def refresh(client: Client, token: str) -> Response:
    return await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        headers=FORM,
    )


def assert_generic_401(response: Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["detail"] == GENERIC_401
    assert body["type"] == "urn:eservice:problem:unauthorized"
