"""Key-location headers are ignored: only our own key set, looked up by ``kid``, verifies."""

from __future__ import annotations

from typing import Any

import pytest
from jose import jwk, jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eservice.core.config import Settings
from eservice.identity.keys import key_set
from tests.identity.helpers import (
    assert_generic_401,
    bearer,
    ec_private_pem,
    our_claims,
    sign_as_us,
)
from tests.support.auth import Caller

Client = AsyncTestClient[Litestar]
ATTACKER_URL = "http://127.0.0.1:1/keys"


def _attacker_headers(settings: Settings, header: str, public: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "jwk": public,
        "jku": ATTACKER_URL,
        "x5u": ATTACKER_URL + ".pem",
        "x5c": ["MIIBszCCAVmgAwIBAgIUSGVsbG8="],
    }
    return {"typ": "at+jwt", "kid": key_set(settings).signing.kid, header: values[header]}


@pytest.mark.parametrize("header", ["jwk", "jku", "x5u", "x5c"])
async def test_foreign_key_named_by_a_header_with_our_kid_is_401(
    client: Client, settings: Settings, header: str
) -> None:
    foreign = jwk.construct(ec_private_pem(), "ES256")
    token = jwt.encode(
        our_claims(settings),
        foreign,
        algorithm="ES256",
        headers=_attacker_headers(settings, header, foreign.public_key().to_dict()),
    )
    assert_generic_401(await client.get("/api/v1/admin/users", headers=bearer(token)))


@pytest.mark.parametrize("header", ["jku", "x5u"])
async def test_our_own_signature_still_verifies_whatever_the_headers_point_to(
    client: Client, settings: Settings, header: str
) -> None:
    """Control: the headers are ignored rather than rejected, so the check above is the key."""
    token = sign_as_us(settings, our_claims(settings), **{header: ATTACKER_URL})
    response = await client.get("/api/v1/admin/users", headers=bearer(token))
    assert response.status_code == 200, response.text


async def test_refresh_token_is_refused_as_access_token_on_every_kind_of_endpoint(
    client: Client, citizen: Caller
) -> None:
    login = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "password",
            "username": citizen.email or "",
            "password": citizen.password or "",
        },
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    refresh_token = login.json()["refresh_token"]
    for path in ("/api/v1/me", "/api/v1/requests", "/api/v1/me/notifications"):
        assert_generic_401(await client.get(path, headers=bearer(refresh_token)))
    stream = await client.get("/api/v1/events/stream", headers=bearer(refresh_token))
    assert stream.status_code == 401
