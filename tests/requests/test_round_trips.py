"""What the hot paths send to PostgreSQL: statement by statement, round trip by round trip.

Every statement the scope's asyncpg connection sends is logged (asyncpg's query loggers); the
operations run through the service layer in a request scope (core.transaction), as the API
runs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.transaction import RequestSessions
from eservice.requests import service
from tests.requests.helpers import Client, file_request
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
