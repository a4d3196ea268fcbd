"""The proof: after erasure and a retention run far in the future, nothing of the citizen is
left in a full ``pg_dump`` of the database or in any file under the data directory, while
another citizen's data, not yet due, is untouched."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
from bench.database import pg_bin
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.core.transaction import transaction
from eservice.core.worker import Worker
from eservice.identity import service as identity_service
from eservice.identity.tokens import issue_access_token
from tests.attachments.conftest import PARKING_DATA, Upload, pdf_bytes
from tests.notifications.peers import SmtpServer
from tests.privacy.helpers import FAR_FUTURE, run
from tests.requests.helpers import LOCATION, Client, fire
from tests.support.auth import TEST_PASSWORD, Caller, MakeStaff
from tests.support.database import plain


async def _person(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, tag: str
) -> tuple[Caller, dict[str, str]]:
    """A citizen whose every personal string is unique to this test."""
    strings = {
        "email": f"{tag}-{secrets.token_hex(4)}@example.org",
        "name": f"Name{tag}{secrets.token_hex(4)}",
        "vorname": f"Vor{tag}{secrets.token_hex(3)}",
        "nachname": f"Nach{tag}{secrets.token_hex(3)}",
        "kennzeichen": f"HL-{tag[:2].upper()} {secrets.randbelow(9000) + 1000}",
        "comment": f"Kommentar {tag} {secrets.token_hex(4)}",
        "report": f"Schlagloch vor Haus {tag} {secrets.token_hex(4)} sehr tief",
        "address": f"Gasse {tag} {secrets.token_hex(3)}, 23552 Lübeck",
        "file": f"FILE-{tag}-{secrets.token_hex(8)}",
    }
    async with transaction(sessionmaker) as session:
        row = await identity_service.create_citizen(
            session,
            settings,
            email=strings["email"],
            password=TEST_PASSWORD,
            display_name=strings["name"],
            locale="de",
            verified=True,
        )
    principal = identity_service.principal_for_user(row)
    token, _ = issue_access_token(settings, principal)
    caller = Caller(
        id=row.id,
        email=row.email,
        headers={"Authorization": f"Bearer {token}"},
        principal=principal,
        password=TEST_PASSWORD,
    )
    return caller, strings


async def _file(
    client: Client, caller: Caller, body: dict[str, Any], key: str | None = None
) -> dict[str, Any]:
    headers = dict(caller.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = await client.post("/api/v1/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _life_of(
    client: Client,
    upload: Upload,
    person: Caller,
    strings: dict[str, str],
    clerks: dict[str, Caller],
) -> dict[str, Any]:
    """A permit approved, a road report fixed, a draft, and an open request."""
    data = {**PARKING_DATA, "vorname": strings["vorname"], "nachname": strings["nachname"]}
    data["kennzeichen"] = strings["kennzeichen"]
    permit = await _file(
        client, person, {"service": "bewohnerparkausweis", "data": data, "submit": False}, "k1"
    )
    marker = strings["file"].encode()
    blob = pdf_bytes(4000).replace(b"%%EOF", marker + b"\n%%EOF")
    assert (await upload(person, UUID(permit["id"]), blob)).status_code == 201
    permit = await fire(client, person, permit, "submit")
    comment = await client.post(
        f"/api/v1/requests/{permit['id']}/comments",
        json={"body": strings["comment"], "visibility": "public"},
        headers=clerks["verkehr"].headers,
    )
    assert comment.status_code == 201
    permit = (await client.get(f"/api/v1/requests/{permit['id']}", headers=person.headers)).json()
    permit = await fire(client, clerks["verkehr"], permit, "start_review")
    report = await _file(
        client,
        person,
        {
            "service": "strassenschaden",
            "data": {"kategorie": "schlagloch", "beschreibung": strings["report"]},
            "location": {**LOCATION, "address": strings["address"]},
        },
    )
    draft = await _file(
        client, person, {"service": "hundeanmeldung", "data": _dog(strings), "submit": False}
    )
    return {"permit": permit, "report": report, "draft": draft}


def _dog(strings: dict[str, str]) -> dict[str, Any]:
    from tests.requests.helpers import example

    data = example("hundeanmeldung")
    for key, value in data.items():
        if isinstance(value, str) and key.lower().startswith(("name", "hund")):
            data[key] = f"{value} {strings['nachname']}"
    return data


def _forms(strings: dict[str, str]) -> list[bytes]:
    """Every personal string, plain and as pg_dump writes bytea (hex)."""
    forms = []
    for value in strings.values():
        raw = value.encode()
        forms += [raw, raw.hex().encode()]
    return forms


def _found(haystack: bytes, strings: dict[str, str]) -> list[str]:
    return [
        name
        for name, value in strings.items()
        if value.encode() in haystack or value.encode().hex().encode() in haystack
    ]


async def _pg_dump(database_url: str) -> bytes:
    # The embedded distribution's pg_dump (PostgreSQL 18) dumps any server from 15 on; the
    # system's may be older than the server it is pointed at, which pg_dump refuses.
    process = await asyncio.create_subprocess_exec(
        pg_bin("pg_dump"),
        "--no-owner",
        "-d",
        plain(database_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out


def _data_dir_bytes(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())


async def test_nothing_of_an_erased_citizen_is_left_after_retention(
    client: Client,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    upload: Upload,
    make_staff: MakeStaff,
    make_worker: Callable[..., Worker],
    smtp: SmtpServer,
    raw_connection: asyncpg.Connection,
) -> None:
    clerks = {
        "verkehr": await make_staff("clerk", departments=("verkehr",)),
        "tiefbau": await make_staff("clerk", departments=("tiefbau",)),
    }
    gone, gone_strings = await _person(sessionmaker, settings, "gone")
    kept, kept_strings = await _person(sessionmaker, settings, "kept")
    gone_life = await _life_of(client, upload, gone, gone_strings, clerks)
    await _life_of(client, upload, kept, kept_strings, clerks)
    report = gone_life["report"]
    report = await fire(client, clerks["tiefbau"], report, "start_work")
    await fire(client, clerks["tiefbau"], report, "mark_fixed")
    worker = make_worker()
    await worker.run_once()  # notifications fanned out and emailed: deliveries hold addresses
    assert _found(await _pg_dump(database_url), gone_strings)

    erased = await client.request(
        "DELETE", "/api/v1/me", json={"password": TEST_PASSWORD}, headers=gone.headers
    )
    assert erased.status_code == 204, erased.text
    for _ in range(3):
        await worker.run_once()
    assert any(gone_strings["email"] in str(m["To"]) for m in smtp.messages)
    await run(sessionmaker, settings, FAR_FUTURE)

    dump = await _pg_dump(database_url)
    assert _found(dump, gone_strings) == []
    assert _found(_data_dir_bytes(settings.data_path), gone_strings) == []
    # The other citizen, whose requests are still open, keeps them (only their draft is past
    # the draft period at that date).
    assert set(_found(dump, kept_strings)) >= {"email", "name", "vorname", "comment", "report"}
    assert _found(_data_dir_bytes(settings.data_path), kept_strings) == ["file"]
    kept_requests = await raw_connection.fetchval(
        "SELECT count(*) FROM requests WHERE applicant_id = $1", kept.id
    )
    assert kept_requests == 2
