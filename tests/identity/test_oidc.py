"""Access tokens of an external OIDC provider, verified against a JWKS served by this test."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import pytest
from jose import jwk, jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eservice.identity import oidc
from tests.identity.helpers import assert_generic_401, bearer, rsa_private_pem

ClientWith = Callable[..., AsyncTestClient[Litestar]]
ISSUER = "https://idp.stadt.example/realms/buerger"
AUDIENCE = "eservice-api"


class IdP:
    """A signing key and the JWKS server that publishes it."""

    def __init__(self) -> None:
        self.kid = "idp-key-1"
        self.key = jwk.construct(rsa_private_pem(), "RS256")
        self.requests = 0
        self.url = ""

    def jwks(self) -> bytes:
        public = self.key.public_key().to_dict()
        return json.dumps({"keys": [{**public, "kid": self.kid, "use": "sig"}]}).encode()

    def token(self, key: Any = None, **changes: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "f:4711",
            "iat": now,
            "exp": now + 300,
            "email": "Kim@Example.org",
            "email_verified": True,
            "name": "Kim Keycloak",
            "realm_access": {"roles": ["offline_access"]},
        }
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture
def idp() -> Iterator[IdP]:
    provider = IdP()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            provider.requests += 1
            body = provider.jwks()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/realms/buerger/certs"
    yield provider
    server.shutdown()
    server.server_close()


def providers(idp: IdP) -> str:
    return json.dumps(
        [
            {
                "issuer": ISSUER,
                "jwks_url": idp.url,
                "audience": AUDIENCE,
                "claims": {"roles": "realm_access.roles", "departments": "groups"},
                "role_mapping": {"sachbearbeitung": "clerk", "leitung": "supervisor"},
                "default_role": "citizen",
            }
        ]
    )


async def test_external_citizen_token_is_accepted_and_mapped(
    client_with: ClientWith, idp: IdP, raw_connection: asyncpg.Connection
) -> None:
    async with client_with(oidc_providers=providers(idp)) as c:
        first = await c.get("/api/v1/me", headers=bearer(idp.token()))
        second = await c.get("/api/v1/me", headers=bearer(idp.token()))
    assert first.status_code == 200, first.text
    me = first.json()
    assert me["roles"] == ["citizen"]
    assert me["email"] == "kim@example.org"
    assert me["email_verified"] is True
    assert me["display_name"] == "Kim Keycloak"
    assert second.json()["id"] == me["id"]  # a stable local id per issuer and subject
    assert me["id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ISSUER}#f:4711"))
    row = await raw_connection.fetchrow("SELECT * FROM users WHERE id = $1", uuid.UUID(me["id"]))
    assert row["external_issuer"] == ISSUER
    assert row["password_hash"] is None
    assert idp.requests == 1  # the key set is cached


async def test_external_staff_roles_and_departments_are_mapped(
    client_with: ClientWith, idp: IdP
) -> None:
    token = idp.token(sub="m:1", realm_access={"roles": ["sachbearbeitung"]}, groups=["verkehr"])
    async with client_with(oidc_providers=providers(idp)) as c:
        me = await c.get("/api/v1/me", headers=bearer(token))
        admin = await c.get("/api/v1/admin/users", headers=bearer(token))
    assert me.json()["kind"] == "staff"
    assert me.json()["roles"] == ["clerk"]
    assert me.json()["departments"] == ["verkehr"]
    assert admin.status_code == 403


async def test_bad_external_tokens_are_401(client_with: ClientWith, idp: IdP) -> None:
    now = int(time.time())
    foreign = jwk.construct(rsa_private_pem(), "RS256")
    bad = {
        "wrong audience": idp.token(aud="another-app"),
        "expired": idp.token(iat=now - 4000, exp=now - 3000),
        "foreign key, same kid": idp.token(key=foreign),
        "unknown issuer": idp.token(iss="https://evil.example"),
        "no exp": idp.token(exp=None),
        "no sub": idp.token(sub=None),
    }
    async with client_with(oidc_providers=providers(idp)) as c:
        for name, token in bad.items():
            response = await c.get("/api/v1/me", headers=bearer(token))
            assert response.status_code == 401, name
            assert_generic_401(response)


async def test_external_tokens_are_refused_when_no_provider_is_configured(
    client_with: ClientWith, idp: IdP
) -> None:
    async with client_with() as c:
        assert_generic_401(await c.get("/api/v1/me", headers=bearer(idp.token())))
    assert idp.requests == 0


async def test_provider_key_rotation_is_picked_up_for_an_unknown_kid(
    client_with: ClientWith, idp: IdP
) -> None:
    async with client_with(oidc_providers=providers(idp)) as c:
        assert (await c.get("/api/v1/me", headers=bearer(idp.token()))).status_code == 200
        idp.kid = "idp-key-2"
        idp.key = jwk.construct(rsa_private_pem(), "RS256")
        # an unknown kid is refetched, but at most every 10 seconds
        registry = c.app.state[oidc.STATE_KEY]
        registry.by_issuer[ISSUER].fetched_at -= 11
        assert (await c.get("/api/v1/me", headers=bearer(idp.token()))).status_code == 200
