"""Public reports without an account: filing, tracking, photos, contact emails, spam."""

from __future__ import annotations

import hashlib

import asyncpg

from tests.attachments.conftest import png_bytes
from tests.public.helpers import (
    SECRET_EMAIL,
    Client,
    emails_to,
    file_anonymously,
    report,
    request_id_of,
)
from tests.requests.helpers import filing, fire
from tests.support.auth import MakeStaff


async def test_report_without_account_gets_tracking_token_stored_only_as_hash(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    body = await file_anonymously(client)
    token = body["tracking_token"]
    assert token.startswith("tr_")
    assert len(token) >= 3 + 43  # 256 random bits, base64url
    assert body["tracking_url"].endswith("/api/v1/tracking/" + token)
    assert body["state"] == "submitted"
    assert body["service"] == {"code": "strassenschaden", "version": 2}
    assert "data" not in body
    assert "id" not in body
    assert "applicant_id" not in body
    stored = await raw_connection.fetchval("SELECT token_hash FROM tracking_tokens")
    assert bytes(stored) == hashlib.sha256(token.encode()).digest()
    dump = await raw_connection.fetchval("SELECT string_agg(t::text, '') FROM tracking_tokens t")
    assert token not in dump
    tracked = await client.get(f"/api/v1/tracking/{token}")
    assert tracked.status_code == 200
    assert tracked.json()["reference"] == body["reference"]
    assert tracked.json()["state_label"] == "Eingegangen"
    assert tracked.headers["cache-control"] == "no-store"


async def test_unknown_or_malformed_tracking_token_is_404(client: Client) -> None:
    await file_anonymously(client)
    for token in ("tr_" + "A" * 43, "nonsense", "tr_"):
        response = await client.get(f"/api/v1/tracking/{token}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_service_that_is_not_public_answers_401_without_token(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    response = await client.post("/api/v1/requests", json=filing("hundeanmeldung"))
    assert response.status_code == 401
    assert await raw_connection.fetchval("SELECT count(*) FROM requests") == 0


async def test_anonymous_report_cannot_be_a_draft_or_name_an_applicant(client: Client) -> None:
    response = await client.post("/api/v1/requests", json=report(submit=False))
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/submit"
    bad_mail = await client.post("/api/v1/requests", json=report(contact={"email": "no-at-sign"}))
    assert bad_mail.status_code == 422
    assert bad_mail.json()["errors"][0]["pointer"] == "/contact/email"


async def test_citizen_contact_is_kept_but_not_mailed_or_shown(
    client: Client, citizen: object, raw_connection: asyncpg.Connection
) -> None:
    headers = citizen.headers  # type: ignore[attr-defined]
    response = await client.post(
        "/api/v1/requests", json=report(contact={"phone": "+49 451 1234567"}), headers=headers
    )
    assert response.status_code == 201
    assert "1234567" not in response.text
    assert await raw_connection.fetchval("SELECT count(*) FROM outbox WHERE kind = 'email'") == 0


async def test_photo_by_token_only_while_the_report_is_in_its_first_state(
    client: Client, make_staff: MakeStaff, raw_connection: asyncpg.Connection
) -> None:
    body = await file_anonymously(client)
    url = f"/api/v1/tracking/{body['tracking_token']}/attachments"
    files = {"file": ("schlagloch.png", png_bytes(), "image/png")}
    added = await client.post(url, files=files, data={"kind": "foto"})
    assert added.status_code == 201, added.text
    internal = await client.post(url, files=files, data={"kind": "foto", "visibility": "internal"})
    assert internal.status_code == 403
    clerk = await make_staff(departments=("tiefbau",))
    request = {"id": await request_id_of(raw_connection, body["reference"]), "version": 0}
    current = await client.get(f"/api/v1/requests/{request['id']}", headers=clerk.headers)
    await fire(client, clerk, current.json(), "start_work")
    late = await client.post(url, files=files, data={"kind": "foto"})
    assert late.status_code == 409
    wrong = await client.post(
        f"/api/v1/tracking/tr_{'x' * 43}/attachments", files=files, data={"kind": "foto"}
    )
    assert wrong.status_code == 404


async def test_contact_gets_confirmation_updates_and_can_unsubscribe(
    client: Client, make_staff: MakeStaff, raw_connection: asyncpg.Connection
) -> None:
    body = await file_anonymously(client, contact={"email": SECRET_EMAIL, "name": "R."})
    mails = await emails_to(raw_connection, SECRET_EMAIL)
    assert [m["template"] for m in mails] == ["report_received"]
    assert mails[0]["context"]["tracking_token"] == body["tracking_token"]
    unsubscribe = mails[0]["context"]["unsubscribe_token"]
    clerk = await make_staff(departments=("tiefbau",))
    request_id = await request_id_of(raw_connection, body["reference"])
    current = (await client.get(f"/api/v1/requests/{request_id}", headers=clerk.headers)).json()
    current = await fire(client, clerk, current, "start_work")
    comment = await client.post(
        f"/api/v1/requests/{request_id}/comments",
        json={"body": "Wir schauen es uns an.", "visibility": "public"},
        headers=clerk.headers,
    )
    assert comment.status_code == 201
    internal = await client.post(
        f"/api/v1/requests/{request_id}/comments",
        json={"body": "Nur intern", "visibility": "internal"},
        headers=clerk.headers,
    )
    assert internal.status_code == 201
    mails = await emails_to(raw_connection, SECRET_EMAIL)
    assert [m["template"] for m in mails] == ["report_received", "report_update", "report_update"]
    assert mails[2]["context"]["comment"] == "Wir schauen es uns an."
    tracked = (await client.get(f"/api/v1/tracking/{body['tracking_token']}")).json()
    assert [c["comment"] for c in tracked["comments"]] == ["Wir schauen es uns an."]
    stop = await client.get(f"/api/v1/tracking/unsubscribe/{unsubscribe}")
    assert stop.status_code == 200
    assert stop.json()["unsubscribed"] is True
    await fire(client, clerk, current, "order_repair")
    assert len(await emails_to(raw_connection, SECRET_EMAIL)) == 3
    assert (await client.get("/api/v1/tracking/unsubscribe/us_unknown")).status_code == 404


async def test_clerk_closes_spam_silently_and_tracking_shows_it_closed(
    client: Client, make_staff: MakeStaff, raw_connection: asyncpg.Connection
) -> None:
    body = await file_anonymously(client, contact={"email": SECRET_EMAIL})
    clerk = await make_staff(departments=("tiefbau",))
    request_id = await request_id_of(raw_connection, body["reference"])
    current = (await client.get(f"/api/v1/requests/{request_id}", headers=clerk.headers)).json()
    closed = await fire(client, clerk, current, "mark_spam")
    assert closed["state"] == "spam"
    assert closed["closed_at"] is not None
    assert len(await emails_to(raw_connection, SECRET_EMAIL)) == 1  # the confirmation only
    tracked = (await client.get(f"/api/v1/tracking/{body['tracking_token']}")).json()
    assert tracked["state"] == "spam"
    assert tracked["closed_at"] is not None
