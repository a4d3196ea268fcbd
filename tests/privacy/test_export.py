"""GET /api/v1/me/export and the admin's Art. 15 export: a streamed ZIP of everything held."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.attachments.backends import storage_from_settings
from eservice.core.config import Settings
from eservice.core.transaction import transaction
from eservice.privacy.archive import HAND_ON
from eservice.privacy.export import archive_chunks, export_own_data
from tests.attachments.conftest import Advance, FileDraft, Upload, pdf_bytes
from tests.requests.helpers import Client
from tests.support.auth import Caller, MakeApiClient, MakeStaff


def _unzip(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


async def test_a_citizen_exports_requests_history_notifications_and_files(
    client: Client,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
    citizen: Caller,
    other_citizen: Caller,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff()
    request_id = await file_draft(citizen)
    first, second = pdf_bytes(4000), pdf_bytes(9000)
    await upload(citizen, request_id, first, filename="Fahrzeugschein vorne.pdf")
    await upload(citizen, request_id, second, filename="../../etc/rückseite.pdf")
    await advance(citizen, request_id, "submit")
    for body, visibility in (("Bitte Rückseite nachreichen", "public"), ("intern: ok", "internal")):
        response = await client.post(
            f"/api/v1/requests/{request_id}/comments",
            json={"body": body, "visibility": visibility},
            headers=clerk.headers,
        )
        assert response.status_code == 201
    others = await file_draft(other_citizen)
    await upload(other_citizen, others, pdf_bytes(3000), filename="fremd.pdf")
    await raw_connection.execute(
        "INSERT INTO inbox_items (id, user_id, event_id, type, request_id, reference, "
        "service_code, payload) VALUES (gen_random_uuid(), $1, 1, 'request.submitted', $2, "
        "'HL-X', 'bewohnerparkausweis', '{}')",
        citizen.id,
        request_id,
    )

    response = await client.get("/api/v1/me/export", headers=citizen.headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment;" in response.headers["content-disposition"]
    entries = _unzip(response.content)
    readme = entries["README.txt"].decode()
    assert "Deutsch" in readme
    assert "English" in readme
    account = json.loads(entries["account.json"])
    assert account["email"] == citizen.email
    assert "password_hash" not in account
    requests: list[dict[str, Any]] = json.loads(entries["requests.json"])
    assert [r["request"]["id"] for r in requests] == [str(request_id)]
    comments = [e["comment"] for e in requests[0]["history"] if e["type"] == "commented"]
    assert comments == ["Bitte Rückseite nachreichen"]
    files = requests[0]["attachments"]
    assert [f["filename"] for f in files] == ["Fahrzeugschein vorne.pdf", "rückseite.pdf"]
    assert entries[files[0]["path"]] == first
    assert entries[files[1]["path"]] == second
    assert all(f["path"].startswith("files/HL-") and ".." not in f["path"] for f in files)
    notifications = json.loads(entries["notifications.json"])
    assert [n["request_id"] for n in notifications] == [str(request_id)]
    assert len([n for n in entries if n.startswith("files/")]) == 2


async def test_an_api_client_has_nothing_of_its_own_to_export(
    client: Client, make_api_client: MakeApiClient
) -> None:
    integration = await make_api_client(["requests:read"])
    response = await client.get("/api/v1/me/export", headers=integration.headers)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_archive_streams_files_larger_than_it_holds_at_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    file_draft: FileDraft,
    upload: Upload,
    citizen: Caller,
) -> None:
    size = 6 * 1024 * 1024
    blobs = [pdf_bytes(size) for _ in range(3)]
    for number, blob in enumerate(blobs):
        request_id = await file_draft(citizen)
        response = await upload(citizen, request_id, blob, filename=f"scan{number}.pdf")
        assert response.status_code == 201, response.text
    async with transaction(sessionmaker) as session:
        archive = await export_own_data(session, citizen.principal)
    storage = storage_from_settings(settings)

    tracemalloc.start()
    total, largest, pieces = 0, 0, 0
    try:
        async for piece in archive_chunks(archive, storage):
            total += len(piece)
            largest = max(largest, len(piece))
            pieces += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert total > sum(len(b) for b in blobs)  # 18 MiB of files went through
    assert pieces > 3 * size // (2 * HAND_ON)
    assert largest < 2 * HAND_ON
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes: the archive was held in memory"


async def test_an_admin_exports_a_person_by_email_and_it_is_audited(
    client: Client,
    file_draft: FileDraft,
    citizen: Caller,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    admin = await make_staff("admin", departments=())
    clerk = await make_staff()
    await file_draft(citizen)
    assert citizen.email is not None
    path = "/api/v1/admin/people/export"
    params = {"email": citizen.email.upper()}
    assert (await client.get(path, params=params, headers=clerk.headers)).status_code == 403
    missing = await client.get(path, params={"email": "x@y.example"}, headers=admin.headers)
    assert missing.status_code == 404

    response = await client.get(path, params=params, headers=admin.headers)

    assert response.status_code == 200
    entries = _unzip(response.content)
    assert json.loads(entries["account.json"])["id"] == str(citizen.id)
    assert len(json.loads(entries["requests.json"])) == 1
    audit = await raw_connection.fetch("SELECT * FROM admin_audit")
    assert [(a["action"], a["actor_id"], a["target"]) for a in audit] == [
        ("person.exported", admin.id, str(citizen.id))
    ]
    assert citizen.email.lower() not in str(dict(audit[0]))
    assert UUID(audit[0]["target"]) == citizen.id
