"""Every broken, forged or misused token is one generic 401 (RFC 8725)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from cryptography.hazmat.primitives import serialization
from jose import jwk, jwt

from eservice.core.config import Settings
from eservice.identity.keys import key_set
from tests.identity.helpers import (
    Client,
    assert_generic_401,
    bearer,
    ec_private_pem,
    our_claims,
    password_login,
    refresh,
    sign_as_us,
)
from tests.support.auth import Caller


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_a_valid_token_passes_as_control(client: Client, settings: Settings) -> None:
    response = await client.get(
        "/api/v1/me", headers=bearer(sign_as_us(settings, our_claims(settings)))
    )
    # the account does not exist, so /me refuses it, but the token itself was accepted:
    assert response.status_code == 401
    assert response.json()["detail"] == "Missing or invalid credentials."
    ok = await client.get(
        "/api/v1/admin/users", headers=bearer(sign_as_us(settings, our_claims(settings)))
    )
    assert ok.status_code == 200


async def test_malformed_tokens_are_401(client: Client) -> None:
    for token in ["garbage", "a.b.c", "x" * 9000, "eyJhbGciOiJFUzI1NiJ9..", "...."]:
        assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(token)))
    assert_generic_401(
        await client.get("/api/v1/admin/users", headers={"Authorization": "Basic abc"})
    )
    assert_generic_401(await client.get("/api/v1/admin/users", headers={"Authorization": "Bearer"}))
    # Read from the raw ASGI headers: bytes outside ASCII and a repeated header stay a 401.
    raw = [(b"authorization", b"Bearer \xe4\xff.\x00")]
    assert_generic_401(await client.get("/api/v1/admin/users", headers=raw))
    repeated = [(b"authorization", b"Bearer garbage"), (b"authorization", b"Bearer other")]
    assert_generic_401(await client.get("/api/v1/admin/users", headers=repeated))


async def test_expired_token_is_401(client: Client, settings: Settings) -> None:
    now = int(time.time())
    token = sign_as_us(settings, our_claims(settings, iat=now - 4000, exp=now - 3000))
    assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(token)))


async def test_tampered_token_is_401(client: Client, settings: Settings) -> None:
    token = sign_as_us(settings, our_claims(settings, roles=["clerk"]))
    header, _, signature = token.split(".")
    forged_payload = _b64(our_claims(settings, roles=["admin"]))
    assert_generic_401(
        await client.get(
            "/api/v1/admin/users", headers=bearer(f"{header}.{forged_payload}.{signature}")
        )
    )


async def test_token_signed_by_a_foreign_key_is_401(client: Client, settings: Settings) -> None:
    ours = key_set(settings).signing
    foreign = jwk.construct(ec_private_pem(), "ES256")
    token = jwt.encode(
        our_claims(settings), foreign, algorithm="ES256", headers={"kid": ours.kid, "typ": "at+jwt"}
    )
    assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(token)))
    unknown_kid = jwt.encode(
        our_claims(settings), foreign, algorithm="ES256", headers={"kid": "other", "typ": "at+jwt"}
    )
    assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(unknown_kid)))


async def test_token_with_jku_or_embedded_jwk_header_is_not_trusted(
    client: Client, settings: Settings
) -> None:
    foreign_pem = ec_private_pem()
    foreign = jwk.construct(foreign_pem, "ES256")
    public = foreign.public_key().to_dict()
    token = jwt.encode(
        our_claims(settings),
        foreign,
        algorithm="ES256",
        headers={"typ": "at+jwt", "kid": "attacker", "jwk": public, "jku": "http://127.0.0.1:1/k"},
    )
    assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(token)))


async def test_alg_none_is_401(client: Client, settings: Settings) -> None:
    kid = key_set(settings).signing.kid
    header = _b64({"alg": "none", "typ": "at+jwt", "kid": kid})
    token = f"{header}.{_b64(our_claims(settings))}."
    assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(token)))


async def test_hs256_signed_with_our_public_key_is_401(client: Client, settings: Settings) -> None:
    keys = key_set(settings)
    public_pem = (
        serialization.load_pem_public_key(
            keys.signing.key.to_pem()  # the public verification key
        )
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    header = _b64({"alg": "HS256", "typ": "at+jwt", "kid": keys.signing.kid})
    payload = _b64(our_claims(settings))
    signature = hmac.new(
        public_pem.encode(), f"{header}.{payload}".encode(), hashlib.sha256
    ).digest()
    token = f"{header}.{payload}." + base64.urlsafe_b64encode(signature).decode().rstrip("=")
    assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(token)))


async def test_wrong_audience_is_401(client: Client, settings: Settings) -> None:
    token = sign_as_us(settings, our_claims(settings, aud="another-api"))
    assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(token)))


async def test_wrong_issuer_is_401(client: Client, settings: Settings) -> None:
    token = sign_as_us(settings, our_claims(settings, iss="https://evil.example"))
    assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(token)))


async def test_missing_required_claims_are_401(client: Client, settings: Settings) -> None:
    for claim in ["exp", "iat", "sub", "aud", "iss", "jti"]:
        claims = our_claims(settings)
        del claims[claim]
        response = await client.get(
            "/api/v1/admin/users", headers=bearer(sign_as_us(settings, claims))
        )
        assert_generic_401(response)


async def test_token_without_our_typ_is_401(client: Client, settings: Settings) -> None:
    token = sign_as_us(settings, our_claims(settings), typ="JWT")
    assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(token)))


async def test_refresh_token_used_as_access_token_is_401(client: Client, citizen: Caller) -> None:
    login = await password_login(client, citizen.email or "", citizen.password or "")
    refresh_token = login.json()["refresh_token"]
    assert_generic_401(await client.get("/api/v1/me", headers=bearer(refresh_token)))


async def test_access_token_as_refresh_token_is_invalid_grant(
    client: Client, citizen: Caller
) -> None:
    access = citizen.headers["Authorization"].split()[1]
    response = await refresh(client, access)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
