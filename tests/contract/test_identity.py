"""api.md "Identity": register, tokens, revoke, verification, password reset, /me, JWKS."""

from __future__ import annotations

import asyncpg
from jose import jwt

from tests.contract.helpers import FORM, Client, assert_problem, outbox_email_context
from tests.support.auth import MakeApiClient, MakeStaff

PASSWORD = "Holstentor-1464-Luebeck"


async def _login(client: Client, username: str, password: str) -> dict[str, object]:
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
        headers=FORM,
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_register_login_me_refresh_and_revoke(client: Client) -> None:
    registered = await client.post(
        "/api/v1/auth/register",
        json={"email": "Jonas@Example.org", "password": PASSWORD, "display_name": "Jonas"},
    )
    assert registered.status_code == 201, registered.text
    account = registered.json()
    assert account["email"].lower() == "jonas@example.org"
    assert "password" not in registered.text

    tokens = await _login(client, "jonas@example.org", PASSWORD)
    assert tokens["token_type"] == "Bearer"
    assert isinstance(tokens["expires_in"], int)
    assert 0 < tokens["expires_in"] <= 900
    access = str(tokens["access_token"])
    header = jwt.get_unverified_header(access)
    assert header["alg"] in ("ES256", "RS256")
    assert header["kid"]
    claims = jwt.get_unverified_claims(access)
    assert set(claims) >= {"iss", "aud", "sub", "exp", "iat", "jti"}
    assert claims["exp"] - claims["iat"] <= 900

    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200
    body = me.json()
    assert set(body) >= {"id", "email", "display_name", "roles", "departments", "locale"}
    assert body["roles"] == ["citizen"]
    assert body["departments"] == []
    assert body["locale"] == "de"

    refreshed = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=FORM,
    )
    assert refreshed.status_code == 200
    new_refresh = refreshed.json()["refresh_token"]
    assert new_refresh != tokens["refresh_token"]

    revoked = await client.post("/api/v1/auth/revoke", data={"token": new_refresh}, headers=FORM)
    assert revoked.status_code == 200
    after = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": new_refresh},
        headers=FORM,
    )
    assert after.status_code == 400
    assert after.json()["error"] == "invalid_grant"


async def test_register_rejects_unknown_fields_and_duplicates(client: Client) -> None:
    body = {"email": "mia@example.org", "password": PASSWORD, "display_name": "Mia"}
    sneaky = await client.post("/api/v1/auth/register", json={**body, "roles": ["admin"]})
    problem = assert_problem(sneaky, 422)
    assert "/roles" in [e["pointer"] for e in problem["errors"]]
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    again = await client.post("/api/v1/auth/register", json=body)
    assert 400 <= again.status_code < 500
    assert_problem(again, again.status_code)


async def test_token_errors_use_rfc6749_format(client: Client) -> None:
    wrong = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "nobody@example.org", "password": "x" * 12},
        headers=FORM,
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    unsupported = await client.post(
        "/api/v1/auth/token", data={"grant_type": "implicit"}, headers=FORM
    )
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"


async def test_client_credentials_grant_and_me_for_a_client(
    client: Client, make_api_client: MakeApiClient
) -> None:
    integration = await make_api_client(["requests:read", "requests:write"])
    granted = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": integration.client_id,
            "client_secret": integration.client_secret,
            "scope": "requests:read",
        },
        headers=FORM,
    )
    assert granted.status_code == 200, granted.text
    tokens = granted.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "requests:read"
    assert "refresh_token" not in tokens
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["client_id"] == integration.client_id
    assert me.json()["scopes"] == ["requests:read"]
    bad = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": integration.client_id,
            "client_secret": "wrong",
        },
        headers=FORM,
    )
    assert bad.status_code in (400, 401)
    assert bad.json()["error"] == "invalid_client"


async def test_me_for_staff_lists_roles_and_departments(
    client: Client, make_staff: MakeStaff
) -> None:
    clerk = await make_staff("clerk", ["verkehr", "tiefbau"])
    me = (await client.get("/api/v1/me", headers=clerk.headers)).json()
    assert me["roles"] == ["clerk"]
    assert sorted(me["departments"]) == ["tiefbau", "verkehr"]


async def test_verify_email_with_the_mailed_token(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    body = {"email": "ole@example.org", "password": PASSWORD, "display_name": "Ole"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    context = await outbox_email_context(raw_connection, "verify_email")
    verified = await client.post("/api/v1/auth/verify-email", json={"token": context["token"]})
    assert verified.status_code == 200
    assert_problem(await client.post("/api/v1/auth/verify-email", json={"token": "nope"}), 422)


async def test_password_reset_is_202_always_and_confirm_revokes_sessions(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    body = {"email": "ida@example.org", "password": PASSWORD, "display_name": "Ida"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    tokens = await _login(client, "ida@example.org", PASSWORD)
    unknown = await client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.org"})
    known = await client.post("/api/v1/auth/password-reset", json={"email": "ida@example.org"})
    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content
    context = await outbox_email_context(raw_connection, "password_reset")
    confirmed = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": context["token"], "password": "Neues-Passwort-2026"},
    )
    assert confirmed.status_code == 200
    old = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=FORM,
    )
    assert old.status_code == 400
    await _login(client, "ida@example.org", "Neues-Passwort-2026")


async def test_jwks_lists_public_keys_with_kid(client: Client) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys
    assert all(k["kid"] for k in keys)
    assert all("d" not in k for k in keys)
