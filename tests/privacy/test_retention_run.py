"""The retention run: what is past its date is deleted or anonymised, files and all."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.privacy.retention import reference_hash
from tests.attachments.conftest import Advance, FileDraft, Upload, stored_files
from tests.privacy.helpers import FAR_FUTURE, closed_parking_permit, closed_road_report, run
from tests.requests.helpers import Client
from tests.support.auth import Caller, MakeStaff

Sessions = async_sessionmaker[AsyncSession]


async def _count(conn: asyncpg.Connection, table: str, request_id: UUID) -> int:
    value = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE request_id = $1", request_id)
    return int(value)


async def test_closing_sets_the_retention_date_shown_to_staff_only(
    client: Client,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
    citizen: Caller,
    make_staff: MakeStaff,
    settings: Settings,
) -> None:
    clerk = await make_staff()
    request_id = await closed_parking_permit(file_draft, upload, advance, citizen, clerk)
    staff_view = (await client.get(f"/api/v1/requests/{request_id}", headers=clerk.headers)).json()
    closed = datetime.fromisoformat(staff_view["closed_at"]).astimezone(
        ZoneInfo(settings.time_zone)
    )
    expected = closed.date().replace(year=closed.year + 3)  # bewohnerparkausweis: 3 years
    assert staff_view["retention_until"] == expected.isoformat()
    assert staff_view["legal_hold"] is None
    own_view = (await client.get(f"/api/v1/requests/{request_id}", headers=citizen.headers)).json()
    assert "retention_until" not in own_view
    assert "legal_hold" not in own_view


async def test_a_deleting_service_loses_request_history_files_and_notifications(
    client: Client,
    sessionmaker: Sessions,
    settings: Settings,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
    citizen: Caller,
    other_citizen: Caller,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff()
    gone = await closed_parking_permit(file_draft, upload, advance, citizen, clerk)
    kept = await closed_parking_permit(file_draft, upload, advance, other_citizen, clerk)
    await raw_connection.execute(
        "UPDATE requests SET retention_until = '2099-01-01' WHERE id = $1", kept
    )
    await raw_connection.execute(
        "INSERT INTO inbox_items (id, user_id, event_id, type, request_id, reference, "
        "service_code, payload) VALUES (gen_random_uuid(), $1, 1, 'request.transitioned', $2, "
        "'X', 'bewohnerparkausweis', '{}')",
        citizen.id,
        gone,
    )
    reference = await raw_connection.fetchval("SELECT reference FROM requests WHERE id = $1", gone)
    assert len(stored_files(settings)) == 2

    report = await run(sessionmaker, settings, date(2099, 1, 1) - timedelta(days=1))

    assert (report.deleted, report.anonymised, report.files_removed) == (1, 0, 1)
    for table in ("requests", "request_events", "attachments", "request_access_log", "inbox_items"):
        column = "id" if table == "requests" else "request_id"
        count = await raw_connection.fetchval(
            f"SELECT count(*) FROM {table} WHERE {column} = $1",
            gone,
        )
        assert count == 0, table
    outbox = await raw_connection.fetchval(
        "SELECT count(*) FROM outbox WHERE payload->>'request_id' = $1", str(gone)
    )
    assert outbox == 0
    assert len(stored_files(settings)) == 1
    assert await _count(raw_connection, "request_events", kept) > 0
    register = await raw_connection.fetch("SELECT * FROM deletion_register")
    assert len(register) == 1
    entry = dict(register[0])
    assert entry["reference_hash"] == reference_hash(reference)
    assert (entry["action"], entry["reason"]) == ("deleted", "retention")
    assert entry["service_code"] == "bewohnerparkausweis"
    assert entry["closed_on"] is not None
    assert entry["retention_until"] is not None
    assert reference not in str(entry)
    assert str(citizen.id) not in str(entry)


async def test_an_anonymising_service_keeps_the_facts_without_the_person(
    client: Client,
    sessionmaker: Sessions,
    settings: Settings,
    upload: Upload,
    advance: Advance,
    citizen: Caller,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff(departments=("tiefbau",))
    request_id = await closed_road_report(client, upload, advance, citizen, clerk)
    comment = await client.post(
        f"/api/v1/requests/{request_id}/comments",
        json={"body": "Danke, Frau Mustermann aus der Engelsgrube", "visibility": "public"},
        headers=clerk.headers,
    )
    assert comment.status_code == 201

    report = await run(sessionmaker, settings)

    assert report.anonymised == 1
    assert report.deleted == 0
    row = await raw_connection.fetchrow("SELECT * FROM requests WHERE id = $1", request_id)
    assert row["data"] == "{}"
    assert row["applicant_id"] is None
    assert row["filed_by_id"] == UUID(int=0)
    assert row["anonymised_at"] is not None
    assert (row["state"], row["service_code"], row["department"]) == (
        "fixed",
        "strassenschaden",
        "tiefbau",
    )
    assert row["closed_at"] is not None
    assert row["submitted_at"] is not None
    assert "address" not in row["location"]
    assert "Lübeck" not in row["location"]
    events = await raw_connection.fetch(
        "SELECT comment, data, actor_id, actor_kind FROM request_events WHERE request_id = $1",
        request_id,
    )
    assert events
    assert all(e["comment"] is None and e["data"] == "{}" for e in events)
    assert all(e["actor_id"] is None for e in events if e["actor_kind"] == "citizen")
    assert stored_files(settings) == []
    assert (await run(sessionmaker, settings)).anonymised == 0  # done once


async def test_a_legal_hold_keeps_a_request_and_the_dry_run_lists_it(
    client: Client,
    sessionmaker: Sessions,
    settings: Settings,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
    citizen: Caller,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff()
    supervisor = await make_staff("supervisor")
    request_id = await closed_parking_permit(file_draft, upload, advance, citizen, clerk)
    path = f"/api/v1/requests/{request_id}/legal-hold"
    body = {"reason": "Widerspruchsverfahren 2026/17"}
    assert (await client.put(path, json=body, headers=clerk.headers)).status_code == 403
    assert (await client.put(path, json=body, headers=citizen.headers)).status_code == 403
    placed = await client.put(path, json=body, headers=supervisor.headers)
    assert placed.status_code == 200, placed.text
    assert placed.json()["legal_hold"]["reason"] == body["reason"]

    dry = await run(sessionmaker, settings, dry_run=True)
    assert [h.reference for h in dry.held] == [placed.json()["reference"]]
    assert dry.due == []
    report = await run(sessionmaker, settings)
    assert report.deleted == 0
    assert len(report.held) == 1
    assert await raw_connection.fetchval("SELECT count(*) FROM requests") == 1

    history = (
        await client.get(f"/api/v1/requests/{request_id}/events?limit=100", headers=clerk.headers)
    ).json()["items"]
    assert history[-1]["type"] == "legal_hold_placed"
    assert history[-1]["visibility"] == "internal"
    assert history[-1]["data"] == {"reason": body["reason"]}
    public = (
        await client.get(f"/api/v1/requests/{request_id}/events?limit=100", headers=citizen.headers)
    ).json()["items"]
    assert "legal_hold_placed" not in {e["type"] for e in public}

    assert (await client.delete(path, headers=supervisor.headers)).status_code == 204
    assert (await run(sessionmaker, settings)).deleted == 1


async def test_old_drafts_go_and_young_ones_stay(
    sessionmaker: Sessions,
    settings: Settings,
    file_draft: FileDraft,
    citizen: Caller,
    raw_connection: asyncpg.Connection,
) -> None:
    old = await file_draft(citizen)
    young = await file_draft(citizen)
    await raw_connection.execute(
        "UPDATE requests SET updated_at = now() - interval '32 days' WHERE id = $1", old
    )
    today = datetime.now(UTC).date()
    assert [d.reason for d in (await run(sessionmaker, settings, today, dry_run=True)).due] == [
        "draft"
    ]
    report = await run(sessionmaker, settings, today)
    assert report.deleted == 1
    ids = {r["id"] for r in await raw_connection.fetch("SELECT id FROM requests")}
    assert ids == {young}
    assert await raw_connection.fetchval("SELECT reason FROM deletion_register") == "draft"


async def test_concurrent_runs_forget_each_request_once(
    sessionmaker: Sessions,
    settings: Settings,
    file_draft: FileDraft,
    citizen: Caller,
    raw_connection: asyncpg.Connection,
) -> None:
    for _ in range(12):
        await file_draft(citizen)
    await raw_connection.execute("UPDATE requests SET updated_at = now() - interval '60 days'")
    small = msgspec_replace(settings, retention_batch_size=2)
    reports = await asyncio.gather(*(run(sessionmaker, small) for _ in range(3)))
    assert sum(r.deleted for r in reports) == 12
    assert sum(r.batches for r in reports) >= 6
    assert await raw_connection.fetchval("SELECT count(*) FROM requests") == 0
    assert await raw_connection.fetchval("SELECT count(*) FROM deletion_register") == 12
    assert (
        await raw_connection.fetchval(
            "SELECT count(DISTINCT reference_hash) FROM deletion_register"
        )
        == 12
    )
    assert (await run(sessionmaker, settings)).deleted == 0


def msgspec_replace(settings: Settings, **changes: object) -> Settings:
    import msgspec

    return msgspec.structs.replace(settings, **changes)


async def test_requests_not_yet_due_are_untouched(
    sessionmaker: Sessions,
    settings: Settings,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
    citizen: Caller,
    make_staff: MakeStaff,
) -> None:
    clerk = await make_staff()
    await closed_parking_permit(file_draft, upload, advance, citizen, clerk)
    report = await run(sessionmaker, settings, datetime.now(UTC).date() + timedelta(days=365))
    assert (report.deleted, report.anonymised, report.files_removed) == (0, 0, 0)
    assert len(stored_files(settings)) == 1
    assert date.today() < FAR_FUTURE


async def test_the_worker_runs_retention(
    sessionmaker: Sessions,
    settings: Settings,
    file_draft: FileDraft,
    citizen: Caller,
    raw_connection: asyncpg.Connection,
) -> None:
    from eservice.worker import build_worker

    old = await file_draft(citizen)
    await raw_connection.execute(
        "UPDATE requests SET updated_at = now() - interval '40 days' WHERE id = $1", old
    )
    await build_worker(sessionmaker, settings).run_once()
    assert await raw_connection.fetchval("SELECT count(*) FROM requests") == 0
    assert await raw_connection.fetchval("SELECT count(*) FROM deletion_register") == 1
