"""DELETE /api/v1/me and PATCH /api/v1/me: erasure and rectification by the citizen."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from tests.attachments.conftest import Advance, FileDraft, Upload, pdf_bytes
from tests.requests.helpers import Client
from tests.support.auth import TEST_PASSWORD, Caller, MakeCitizen, MakeStaff


async def _login(client: Client, email: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": password},
    )
    body: dict[str, str] = response.json()
    body["status"] = str(response.status_code)
    return body


async def test_erasure_needs_the_current_password(client: Client, citizen: Caller) -> None:
    wrong = await client.request(
        "DELETE", "/api/v1/me", json={"password": "not my password"}, headers=citizen.headers
    )
    assert wrong.status_code == 403
    assert wrong.headers["content-type"].startswith("application/problem+json")
    unknown = await client.request(
        "DELETE", "/api/v1/me", json={"password": TEST_PASSWORD, "x": 1}, headers=citizen.headers
    )
    assert unknown.status_code in (400, 422)
    assert (await client.get("/api/v1/me", headers=citizen.headers)).status_code == 200


async def test_erasure_closes_the_account_withdraws_and_pseudonymises(
    client: Client,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    citizen = await make_citizen()
    assert citizen.email is not None
    clerk = await make_staff()
    tokens = await _login(client, citizen.email)
    assert tokens["status"] == "200"
    draft = await file_draft(citizen)
    await upload(citizen, draft, pdf_bytes(3000))
    open_request = await file_draft(citizen)
    await upload(citizen, open_request, pdf_bytes(3000))
    await advance(citizen, open_request, "submit")
    await advance(clerk, open_request, "start_review")
    closed = await file_draft(citizen)
    await upload(citizen, closed, pdf_bytes(3000))
    await advance(citizen, closed, "submit")
    await advance(clerk, closed, "reject", comment="Zone passt nicht")

    response = await client.request(
        "DELETE", "/api/v1/me", json={"password": TEST_PASSWORD}, headers=citizen.headers
    )

    assert response.status_code == 204, response.text
    assert (await _login(client, citizen.email))["status"] == "400"
    refreshed = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 400
    assert (
        await raw_connection.fetchval("SELECT count(*) FROM users WHERE id = $1", citizen.id) == 0
    )
    states = {
        r["id"]: r for r in await raw_connection.fetch("SELECT * FROM requests ORDER BY created_at")
    }
    assert draft not in states
    assert states[open_request]["state"] == "withdrawn"
    assert states[open_request]["retention_until"] is not None
    assert states[closed]["state"] == "rejected"
    for kept in (open_request, closed):
        assert states[kept]["applicant_id"] is None
        assert states[kept]["filed_by_id"] == UUID(int=0)
    actors = await raw_connection.fetch(
        "SELECT actor_id FROM request_events WHERE actor_kind = 'citizen'"
    )
    assert actors
    assert all(a["actor_id"] is None for a in actors)
    mails = await raw_connection.fetch(
        "SELECT payload FROM outbox WHERE kind = 'email' AND payload->>'to' = $1", citizen.email
    )
    assert [m["payload"] for m in mails if "account_erased" in m["payload"]]
    assert all("verify_email" not in m["payload"] for m in mails)

    again = await client.post(
        "/api/v1/auth/register",
        json={"email": citizen.email, "password": "another long password", "display_name": "E"},
    )
    assert again.status_code == 201, again.text


async def test_staff_do_not_erase_themselves_here(client: Client, make_staff: MakeStaff) -> None:
    clerk = await make_staff()
    response = await client.request(
        "DELETE", "/api/v1/me", json={"password": TEST_PASSWORD}, headers=clerk.headers
    )
    assert response.status_code == 403


async def test_a_citizen_corrects_name_language_and_email_which_is_verified_again(
    client: Client, citizen: Caller, other_citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    changed = await client.patch(
        "/api/v1/me", json={"display_name": "Erika M.", "locale": "en"}, headers=citizen.headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["display_name"], changed.json()["locale"]) == ("Erika M.", "en")
    assert changed.json()["email_verified"] is True

    taken = await client.patch(
        "/api/v1/me", json={"email": other_citizen.email}, headers=citizen.headers
    )
    assert taken.status_code == 409
    bad = await client.patch(
        "/api/v1/me", json={"email": "not-an-address"}, headers=citizen.headers
    )
    assert bad.status_code == 422
    server_owned = await client.patch(
        "/api/v1/me", json={"roles": ["admin"]}, headers=citizen.headers
    )
    assert server_owned.status_code in (400, 422)

    moved = await client.patch(
        "/api/v1/me", json={"email": "Neue.Adresse@Example.org"}, headers=citizen.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["email"] == "neue.adresse@example.org"
    assert moved.json()["email_verified"] is False
    mail = await raw_connection.fetchrow(
        "SELECT payload FROM outbox WHERE kind = 'email' ORDER BY id DESC LIMIT 1"
    )
    assert '"neue.adresse@example.org"' in mail["payload"]
    assert '"verify_email"' in mail["payload"]
