"""Email verification and password reset through HTTP, with the token taken from the outbox."""

from __future__ import annotations

import json

import asyncpg

from tests.identity.helpers import Client, bearer, password_login, refresh
from tests.support.auth import Caller

PASSWORD = "Stadtwerke-Kiel-2026"


async def _outbox_tokens(conn: asyncpg.Connection, template: str) -> list[dict[str, object]]:
    rows = await conn.fetch("SELECT payload FROM outbox WHERE kind = 'email' ORDER BY id")
    payloads = [
        json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"] for r in rows
    ]
    return [p for p in payloads if p["template"] == template]


async def test_registration_queues_a_verification_email_whose_token_verifies(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    created = await client.post(
        "/api/v1/auth/register",
        json={
            "email": "lena@example.org",
            "password": PASSWORD,
            "display_name": "Lena",
            "locale": "en",
        },
    )
    assert created.status_code == 201
    [mail] = await _outbox_tokens(raw_connection, "verify_email")
    assert mail["to"] == "lena@example.org"
    assert mail["locale"] == "en"
    context = mail["context"]
    assert isinstance(context, dict)
    assert context["display_name"] == "Lena"

    verified = await client.post("/api/v1/auth/verify-email", json={"token": context["token"]})
    assert verified.status_code == 200
    login = await password_login(client, "lena@example.org", PASSWORD)
    me = await client.get("/api/v1/me", headers=bearer(login.json()["access_token"]))
    assert me.json()["email_verified"] is True

    again = await client.post("/api/v1/auth/verify-email", json={"token": context["token"]})
    assert again.status_code == 422
    assert again.json()["errors"][0]["pointer"] == "/token"


async def test_unknown_verification_token_is_422(client: Client) -> None:
    response = await client.post("/api/v1/auth/verify-email", json={"token": "ve_forged"})
    assert response.status_code == 422


async def test_password_reset_sets_the_new_password_and_ends_all_sessions(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    session = await password_login(client, citizen.email or "", citizen.password or "")
    old_refresh = session.json()["refresh_token"]

    asked = await client.post("/api/v1/auth/password-reset", json={"email": citizen.email})
    assert asked.status_code == 202
    [mail] = await _outbox_tokens(raw_connection, "password_reset")
    assert mail["to"] == citizen.email
    token = mail["context"]["token"]  # type: ignore[index]

    weak = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "kurz"}
    )
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["pointer"] == "/password"

    new_password = "Neues-Passwort-fuer-Kiel"
    done = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": new_password}
    )
    assert done.status_code == 200
    assert (await refresh(client, old_refresh)).json()["error"] == "invalid_grant"
    assert (
        await password_login(client, citizen.email or "", citizen.password or "")
    ).status_code == 400
    assert (await password_login(client, citizen.email or "", new_password)).status_code == 200
    reused = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": "Noch-ein-Passwort-99"},
    )
    assert reused.status_code == 422


async def test_password_reset_for_unknown_email_is_202_and_sends_nothing(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    response = await client.post("/api/v1/auth/password-reset", json={"email": "ghost@example.org"})
    assert response.status_code == 202
    assert await _outbox_tokens(raw_connection, "password_reset") == []


async def test_password_reset_requests_are_limited_silently(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    for _ in range(5):
        response = await client.post("/api/v1/auth/password-reset", json={"email": citizen.email})
        assert response.status_code == 202
    assert len(await _outbox_tokens(raw_connection, "password_reset")) == 3


async def test_only_the_newest_reset_link_works(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    await client.post("/api/v1/auth/password-reset", json={"email": citizen.email})
    await client.post("/api/v1/auth/password-reset", json={"email": citizen.email})
    first, second = await _outbox_tokens(raw_connection, "password_reset")
    old = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": first["context"]["token"], "password": "Neues-Passwort-fuer-Kiel"},  # type: ignore[index]
    )
    assert old.status_code == 422
    new = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": second["context"]["token"], "password": "Neues-Passwort-fuer-Kiel"},  # type: ignore[index]
    )
    assert new.status_code == 200
