"""Tamper evidence: hash chains over history, access log and admin actions, signed
checkpoints, and ``eservice audit verify``. Tampering is done as an attacker with database
access would do it: real SQL on real rows, triggers switched off."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core import migrate
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.transaction import transaction
from eservice.privacy.audit import AuditReport, verify, write_checkpoint
from tests.attachments.conftest import Advance, FileDraft, Upload
from tests.conftest import make_settings
from tests.platform.test_cli import run as run_command
from tests.privacy.helpers import closed_parking_permit, run
from tests.requests.helpers import Client
from tests.support.auth import Caller, MakeStaff
from tests.support.database import create_database, drop_database, plain, url_for_database

Sessions = async_sessionmaker[AsyncSession]


async def _verify(sessionmaker: Sessions, settings: Settings) -> AuditReport:
    async with transaction(sessionmaker) as session:
        return await verify(session, settings)


async def _checkpoint(sessionmaker: Sessions, settings: Settings) -> None:
    async with transaction(sessionmaker) as session:
        await write_checkpoint(session, settings)


@pytest.fixture
async def history(
    client: Client,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
    citizen: Caller,
    make_staff: MakeStaff,
    sessionmaker: Sessions,
    settings: Settings,
) -> dict[str, Any]:
    """A closed request with a comment, staff reads, a legal hold; then a checkpoint."""
    clerk = await make_staff()
    supervisor = await make_staff("supervisor")
    request_id = await closed_parking_permit(file_draft, upload, advance, citizen, clerk)
    path = f"/api/v1/requests/{request_id}"
    assert (await client.get(path, headers=clerk.headers)).status_code == 200
    assert (await client.get(path, headers=supervisor.headers)).status_code == 200
    hold = await client.put(
        f"{path}/legal-hold", json={"reason": "Klage 3 A 17/26"}, headers=supervisor.headers
    )
    assert hold.status_code == 200
    await _checkpoint(sessionmaker, settings)
    return {"request_id": request_id}


async def _tamper(conn: asyncpg.Connection, *statements: str) -> None:
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")  # triggers off
        for statement in statements:
            await conn.execute(statement)


async def _event_ids(conn: asyncpg.Connection) -> list[int]:
    return [r["id"] for r in await conn.fetch("SELECT id FROM request_events ORDER BY chain_seq")]


async def test_an_untouched_record_verifies(
    history: dict[str, Any], sessionmaker: Sessions, settings: Settings
) -> None:
    report = await _verify(sessionmaker, settings)
    assert report.intact, report.problem
    assert report.entries >= 8
    assert report.chains == 3  # history, access log, admin actions
    assert report.checkpoint is not None


async def test_a_changed_entry_is_named(
    history: dict[str, Any],
    sessionmaker: Sessions,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    target = (await _event_ids(raw_connection))[2]
    await _tamper(
        raw_connection, f"UPDATE request_events SET to_state = 'approved' WHERE id = {target}"
    )
    report = await _verify(sessionmaker, settings)
    assert not report.intact
    assert report.problem is not None
    assert report.problem.startswith(f"request_events id {target} ")
    assert "content does not match" in report.problem


async def test_a_deleted_entry_breaks_the_chain(
    history: dict[str, Any],
    sessionmaker: Sessions,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    ids = await _event_ids(raw_connection)
    await _tamper(raw_connection, f"DELETE FROM request_events WHERE id = {ids[1]}")
    report = await _verify(sessionmaker, settings)
    assert not report.intact
    assert report.problem is not None
    assert f"request_events id {ids[2]} " in report.problem
    assert "does not follow" in report.problem


async def test_a_deleted_last_entry_is_noticed(
    history: dict[str, Any],
    sessionmaker: Sessions,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    ids = await _event_ids(raw_connection)
    await _tamper(raw_connection, f"DELETE FROM request_events WHERE id = {ids[-1]}")
    report = await _verify(sessionmaker, settings)
    assert report.problem is not None
    assert f"request_events id {ids[-2]} " in report.problem
    assert "entries after it are missing" in report.problem


async def test_reordered_entries_are_noticed(
    history: dict[str, Any],
    sessionmaker: Sessions,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    ids = await _event_ids(raw_connection)
    first, second = ids[1], ids[2]
    await _tamper(
        raw_connection,
        f"UPDATE request_events SET chain_seq = -chain_seq WHERE id IN ({first}, {second})",
        f"UPDATE request_events SET chain_seq = 3 WHERE id = {first}",
        f"UPDATE request_events SET chain_seq = 2 WHERE id = {second}",
    )
    report = await _verify(sessionmaker, settings)
    assert report.problem is not None
    assert f"request_events id {second} " in report.problem


async def test_a_rewritten_chain_with_fresh_hashes_fails_the_signed_checkpoint(
    history: dict[str, Any],
    sessionmaker: Sessions,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    ids = await _event_ids(raw_connection)
    # The attacker changes an entry and recomputes every hash after it and the chain's head.
    statements = [f"UPDATE request_events SET comment = 'alles genehmigt' WHERE id = {ids[1]}"]
    await _tamper(raw_connection, *statements)
    rows = await raw_connection.fetch(
        "SELECT id, chain_seq, audit_content(t) AS content FROM request_events t ORDER BY chain_seq"
    )
    prev = b""
    async with raw_connection.transaction():
        await raw_connection.execute("SET LOCAL session_replication_role = replica")
        for row in rows:
            digest = hashlib.sha256(prev + row["content"] + str(row["chain_seq"]).encode()).digest()
            await raw_connection.execute(
                "UPDATE request_events SET content_hash = $1, chain_prev = $2, chain_hash = $3 "
                "WHERE id = $4",
                row["content"],
                prev or None,
                digest,
                row["id"],
            )
            prev = digest
        await raw_connection.execute(
            "UPDATE audit_chain_heads SET hash = $1 WHERE chain = $2",
            prev,
            f"request:{history['request_id']}",
        )
    report = await _verify(sessionmaker, settings)
    assert report.problem is not None
    assert "differs from audit checkpoint" in report.problem


async def test_access_log_and_admin_actions_are_chained_too(
    history: dict[str, Any],
    sessionmaker: Sessions,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    read = await raw_connection.fetchval("SELECT min(id) FROM request_access_log")
    await _tamper(raw_connection, f"DELETE FROM request_access_log WHERE id = {read}")
    report = await _verify(sessionmaker, settings)
    assert report.problem is not None
    assert report.problem.startswith("request_access_log id ")
    await _tamper(raw_connection, "TRUNCATE request_access_log")
    await _tamper(raw_connection, "DELETE FROM audit_chain_heads WHERE chain LIKE 'access:%'")
    entry = await raw_connection.fetchval("SELECT max(id) FROM admin_audit")
    await _tamper(raw_connection, f"UPDATE admin_audit SET action = 'nothing' WHERE id = {entry}")
    report = await _verify(sessionmaker, settings)
    assert report.problem is not None
    assert report.problem.startswith(f"admin_audit id {entry} ")


async def test_the_application_cannot_rewrite_history(
    history: dict[str, Any], raw_connection: asyncpg.Connection
) -> None:
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await raw_connection.execute("UPDATE request_events SET comment = 'x'")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await raw_connection.execute("DELETE FROM request_access_log")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await raw_connection.execute("DELETE FROM admin_audit")
    async with raw_connection.transaction():
        await raw_connection.execute("SELECT set_config('eservice.forgetting', 'on', true)")
        with pytest.raises(asyncpg.RaiseError, match="only erase"):
            await raw_connection.execute(
                "UPDATE request_events SET comment = 'forged', erased_at = now()"
            )


async def test_retention_and_erasure_are_recorded_not_breaks(
    client: Client,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
    citizen: Caller,
    other_citizen: Caller,
    make_staff: MakeStaff,
    sessionmaker: Sessions,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff()
    await closed_parking_permit(file_draft, upload, advance, citizen, clerk)
    await closed_parking_permit(file_draft, upload, advance, other_citizen, clerk)
    await _checkpoint(sessionmaker, settings)
    erased = await client.request(
        "DELETE",
        "/api/v1/me",
        json={"password": other_citizen.password},
        headers=other_citizen.headers,
    )
    assert erased.status_code == 204
    assert (await _verify(sessionmaker, settings)).intact
    await run(sessionmaker, settings)  # deletes both requests, writes a checkpoint
    assert await raw_connection.fetchval("SELECT count(*) FROM request_events") == 0
    report = await _verify(sessionmaker, settings)
    assert report.intact, report.problem
    actions = [r["action"] for r in await raw_connection.fetch("SELECT action FROM admin_audit")]
    assert actions == ["retention.run"]


async def test_audit_verify_exits_0_then_1_naming_the_entry(
    history: dict[str, Any],
    database_url: str,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    env = {
        "ESERVICE_DATABASE_URL": database_url,
        "ESERVICE_DATA_DIR": str(settings.data_path),
        "ESERVICE_ENV": "test",
    }
    intact = run_command(["audit", "verify"], **env)
    assert intact.returncode == 0, intact.stderr
    assert json.loads(intact.stdout)["intact"] is True
    target = (await _event_ids(raw_connection))[0]
    await _tamper(raw_connection, f"UPDATE request_events SET type = 'forged' WHERE id = {target}")
    broken = run_command(["audit", "verify"], **env)
    assert broken.returncode == 1
    assert f"request_events id {target} " in broken.stderr


async def test_admin_actions_on_staff_and_clients_are_audited_and_chained(
    client: Client,
    make_staff: MakeStaff,
    sessionmaker: Sessions,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    admin = await make_staff("admin", departments=())
    staff = {
        "email": "neu.audit@stadt.example",
        "password": "Ein-sicheres-Passwort-42",
        "roles": ["clerk"],
        "departments": ["verkehr"],
        "display_name": "Neue Kollegin",
    }
    created = await client.post("/api/v1/admin/users", json=staff, headers=admin.headers)
    assert created.status_code == 201
    changed = await client.patch(
        f"/api/v1/admin/users/{created.json()['id']}", json={"active": False}, headers=admin.headers
    )
    assert changed.status_code == 200
    integration = await client.post(
        "/api/v1/admin/clients",
        json={"name": "Fachverfahren", "scopes": ["requests:read"]},
        headers=admin.headers,
    )
    assert integration.status_code == 201
    gone = await client.delete(
        f"/api/v1/admin/clients/{integration.json()['id']}", headers=admin.headers
    )
    assert gone.status_code == 204
    rows = await raw_connection.fetch("SELECT * FROM admin_audit ORDER BY chain_seq")
    assert [(r["action"], r["actor_id"]) for r in rows] == [
        ("staff.created", admin.id),
        ("account.changed", admin.id),
        ("client.created", admin.id),
        ("client.deactivated", admin.id),
    ]
    assert [r["chain_seq"] for r in rows] == [1, 2, 3, 4]
    assert "neu.audit" not in str([dict(r) for r in rows])
    assert "Neue Kollegin" not in str([dict(r) for r in rows])
    assert (await _verify(sessionmaker, settings)).intact


async def test_an_existing_installation_gets_its_history_chained_by_the_migration(
    admin_url: str, tmp_path: Path
) -> None:
    name = "eservice_backfill_" + secrets.token_hex(4)
    await asyncio.to_thread(create_database, admin_url, name)
    url = url_for_database(admin_url, name)
    try:
        await asyncio.to_thread(migrate.upgrade, url, "0006")
        conn = await asyncpg.connect(plain(url))
        try:
            for number in range(2):
                request_id = await conn.fetchval(
                    "INSERT INTO requests (id, reference, service_code, service_version, title, "
                    "department, state, version, filed_by_kind, filed_by_id, data, "
                    "sla_business_days, created_at, updated_at) VALUES (gen_random_uuid(), $1, "
                    "'x', 1, 't', 'verkehr', 'submitted', 1, 'citizen', gen_random_uuid(), "
                    "'{}', 5, now(), now()) RETURNING id",
                    f"HL-OLD-{number}",
                )
                for kind in ("filed", "submitted", "commented"):
                    await conn.execute(
                        "INSERT INTO request_events (request_id, type, visibility, actor_kind, "
                        "actor_role, data, occurred_at) VALUES ($1, $2, 'public', 'citizen', "
                        "'applicant', '{}', now())",
                        request_id,
                        kind,
                    )
                await conn.execute(
                    "INSERT INTO request_access_log (request_id, staff_id, action) "
                    "VALUES ($1, gen_random_uuid(), 'read')",
                    request_id,
                )
        finally:
            await conn.close()
        await asyncio.to_thread(migrate.upgrade, url)
        settings = make_settings(tmp_path)
        engine = create_engine(url, settings)
        try:
            report = await _verify(create_sessionmaker(engine), settings)
        finally:
            await engine.dispose()
        assert report.intact, report.problem
        assert report.entries == 8
        assert report.chains == 4
    finally:
        await asyncio.to_thread(drop_database, admin_url, name)
