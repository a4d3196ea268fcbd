"""What the hot paths send to PostgreSQL: statement by statement, round trip by round trip.

Every statement the scope's asyncpg connection sends is logged (asyncpg's query loggers); the
operations run through the service layer in a request scope (core.transaction), as the API
runs them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.errors import PreconditionFailed
from eservice.core.transaction import RequestSessions
from eservice.privacy import audit
from eservice.requests import service
from eservice.requests.repository import _REQUEST_COLUMNS
from eservice.requests.schemas import FilingIn, TransitionIn
from eservice.requests.transitions import fire_transition
from tests.requests.helpers import Client, file_request, filing
from tests.support.auth import Caller


class Traced:
    """Request sessions whose connections log every statement they send."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sent: list[str] = []
        self.sessions = RequestSessions(create_sessionmaker(engine, cache_immutable=True))

        @event.listens_for(engine.sync_engine, "connect")
        def trace(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.driver_connection.add_query_logger(self._log)

    def _log(self, logged: asyncpg.connection.LoggedQuery) -> None:
        self.sent.append(logged.query)

    async def statements(self) -> list[str]:
        """What was sent since the last call, each shortened to its first words."""
        await asyncio.sleep(0)  # asyncpg calls the loggers soon after each statement
        sent, self.sent = self.sent, []
        return [" ".join(query.split()[:3]) for query in sent]


@pytest.fixture
async def traced(database_url: str, settings: Settings) -> AsyncIterator[Traced]:
    engine = create_engine(database_url, settings)
    try:
        yield Traced(engine)
    finally:
        await engine.dispose()


async def test_a_read_by_id_is_one_statement_without_begin_or_commit(
    traced: Traced,
    client: Client,
    citizen: Caller,
    make_staff: Any,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    filed = await file_request(client, citizen)
    session = traced.sessions.open()
    row = await service.get_request_for(session, clerk.principal, filed["id"], access="read")
    assert row.version == filed["version"]
    logged = await raw_connection.fetchval(
        "SELECT count(*) FROM request_access_log WHERE request_id = $1 AND action = 'read' "
        "AND actor_role = 'clerk'",
        row.id,
    )
    assert logged == 1  # already committed, before the scope ends
    await traced.sessions.finish(session, commit=True)
    assert await traced.statements() == ["WITH r AS"]

    # The applicant's own read: the same statement, nothing logged.
    session = traced.sessions.open()
    await service.get_request_for(session, citizen.principal, filed["id"], access="read")
    await traced.sessions.finish(session, commit=True)
    assert await traced.statements() == ["WITH r AS"]
    assert (
        await raw_connection.fetchval(
            "SELECT count(*) FROM request_access_log WHERE request_id = $1", row.id
        )
        == 1
    )


def _filing() -> FilingIn:
    return msgspec.convert(filing("hundeanmeldung"), FilingIn)


async def _file(traced: Traced, settings: Settings, caller: Caller, *, alone: bool = True) -> Any:
    session = traced.sessions.open()
    row = await service.file_request(session, settings, caller.principal, _filing(), alone=alone)
    await traced.sessions.finish(session, commit=True)
    return row


async def test_a_submitted_filing_is_one_statement_and_writes_what_the_steps_wrote(
    traced: Traced,
    settings: Settings,
    citizen: Caller,
    raw_connection: asyncpg.Connection,
    sessionmaker: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _file(traced, settings, citizen)  # remembers the service's current version
    await traced.statements()
    new = await _file(traced, settings, citizen)
    assert await traced.statements() == ["WITH request AS"]

    # The same filing through the statements of each step (as drafts and contacts still go).
    async def step_by_step(*_args: Any, **_kwargs: Any) -> None:
        return None  # nothing written in one statement: the steps' statements write it

    monkeypatch.setattr(service, "_file_in_one_statement", step_by_step)
    old = await _file(traced, settings, citizen)
    assert len(await traced.statements()) > 5

    def request(row: Any) -> dict[str, Any]:
        values = {c: getattr(row, c) for c in _REQUEST_COLUMNS}
        for moment in ("created_at", "updated_at", "submitted_at", "due_at"):
            assert values.pop(moment) is not None
        return {k: v for k, v in values.items() if k not in {"id", "reference"}}

    stored = {
        r["id"]: dict(r)
        for r in await raw_connection.fetch(
            "SELECT * FROM requests WHERE id = ANY($1::uuid[])", [new.id, old.id]
        )
    }
    assert request(new) == request(old)
    assert {k: v for k, v in stored[new.id].items() if k not in _VARYING} == {
        k: v for k, v in stored[old.id].items() if k not in _VARYING
    }
    assert stored[new.id]["updated_at"] == stored[new.id]["submitted_at"]
    assert stored[new.id]["created_at"] <= stored[new.id]["submitted_at"]

    async def history(request_id: Any) -> list[dict[str, Any]]:
        rows = await raw_connection.fetch(
            "SELECT * FROM request_events WHERE request_id = $1 ORDER BY id", request_id
        )
        return [{k: v for k, v in r.items() if k not in _VARYING_EVENT} for r in rows]

    assert await history(new.id) == await history(old.id)
    assert [e["chain_seq"] for e in await history(new.id)] == [1, 2]

    async def outbox(request_id: Any) -> list[dict[str, Any]]:
        rows = await raw_connection.fetch(
            "SELECT o.payload, e.type FROM outbox o JOIN request_events e "
            "ON e.id = (o.payload ->> 'event_id')::bigint WHERE e.request_id = $1",
            request_id,
        )
        payloads = [(json.loads(r["payload"]), r["type"]) for r in rows]
        for payload, _ in payloads:
            for varying in ("event_id", "request_id", "reference", "occurred_at"):
                payload.pop(varying)
        return payloads

    assert await outbox(new.id) == await outbox(old.id)
    assert [t for _, t in await outbox(new.id)] == ["submitted"]
    async with sessionmaker() as session:
        report = await audit.verify(session, settings)
    assert report.intact, report


_VARYING = {"id", "reference", "created_at", "updated_at", "submitted_at", "due_at"}
_VARYING_EVENT = {"id", "request_id", "occurred_at", "content_hash", "chain_hash", "chain_prev"}


async def test_a_filing_after_a_new_version_is_published_uses_it(
    traced: Traced, settings: Settings, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    first = await _file(traced, settings, citizen)  # remembers version 1 as current
    await raw_connection.execute(
        "INSERT INTO service_versions (code, version, department, workflow_name, "
        "workflow_version, definition, digest) SELECT code, 2, department, workflow_name, "
        "workflow_version, definition, md5(digest) FROM service_versions "
        "WHERE code = 'hundeanmeldung' AND version = 1"
    )
    await raw_connection.execute(
        "UPDATE services SET current_version = 2 WHERE code = 'hundeanmeldung'"
    )
    try:
        await traced.statements()
        later = await _file(traced, settings, citizen)
        assert (first.service_version, later.service_version) == (1, 2)
        sent = await traced.statements()
        assert sent[0] == "WITH request AS"  # refused under version 1: nothing written
        assert sent[-2:] == ["WITH request AS", "COMMIT"]  # written under version 2
        assert (
            await raw_connection.fetchval(
                "SELECT count(*) FROM requests WHERE applicant_id = $1", citizen.principal.id
            )
            == 2
        )
    finally:
        await raw_connection.execute("TRUNCATE requests CASCADE")
        await raw_connection.execute(
            "UPDATE services SET current_version = 1 WHERE code = 'hundeanmeldung'"
        )
        await raw_connection.execute(
            "DELETE FROM service_versions WHERE code = 'hundeanmeldung' AND version = 2"
        )


async def test_a_transition_is_the_select_and_one_statement_writing_it_all(
    traced: Traced,
    settings: Settings,
    client: Client,
    citizen: Caller,
    make_staff: Any,
    raw_connection: asyncpg.Connection,
    sessionmaker: Any,
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    filed = await file_request(client, citizen)
    for transition, version in (("start_review", filed["version"]), ("start_review", 1)):
        session = traced.sessions.open()
        try:
            row = await service.get_request_for(session, clerk.principal, filed["id"])
            moved = await fire_transition(
                session,
                settings,
                clerk.principal,
                row,
                if_match=row.version if version > 1 else version,
                payload=TransitionIn(transition=transition),
            )
        except PreconditionFailed:
            await traced.sessions.finish(session, commit=False)
            assert await traced.statements() == ["BEGIN", "WITH r AS", "ROLLBACK"]
            continue
        await traced.sessions.finish(session, commit=True)
        assert moved.state == "in_review"
        assert moved.version == filed["version"] + 1
        assert await traced.statements() == ["BEGIN", "WITH r AS", "WITH moved AS", "COMMIT"]
    stored = await raw_connection.fetchrow(
        "SELECT state, version FROM requests WHERE id = $1", moved.id
    )
    assert (stored["state"], stored["version"]) == ("in_review", moved.version)
    event = await raw_connection.fetchrow(
        "SELECT id, type, from_state, to_state, transition, actor_role, chain_seq "
        "FROM request_events WHERE request_id = $1 ORDER BY id DESC LIMIT 1",
        moved.id,
    )
    assert dict(event) | {"id": 0} == {
        "id": 0,
        "type": "transitioned",
        "from_state": "submitted",
        "to_state": "in_review",
        "transition": "start_review",
        "actor_role": "clerk",
        "chain_seq": 3,
    }
    payload = json.loads(
        await raw_connection.fetchval(
            "SELECT payload FROM outbox WHERE (payload ->> 'event_id')::bigint = $1", event["id"]
        )
    )
    assert payload["type"] == "request.transitioned"
    assert (payload["request_id"], payload["to_state"]) == (str(moved.id), "in_review")
    async with sessionmaker() as session:
        assert (await audit.verify(session, settings)).intact
