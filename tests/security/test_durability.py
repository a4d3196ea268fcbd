"""The commit happens before the response: a write that fails to commit is never a 2xx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from tests.requests.helpers import file_request, filing
from tests.support.auth import Caller

Client = AsyncTestClient[Litestar]


INSTALL = """
CREATE FUNCTION test_refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'refused at commit: Key (email)=(%) exists', 'petra@example.org'
USING ERRCODE = '23514'; END $$;
CREATE CONSTRAINT TRIGGER test_refuse_at_commit AFTER INSERT ON request_events
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse_at_commit();
"""
REMOVE = (
    "DROP TRIGGER test_refuse_at_commit ON request_events; DROP FUNCTION test_refuse_at_commit();"
)


async def _install(conn: asyncpg.Connection) -> None:
    """A deferred constraint trigger: every commit that wrote a request event fails."""
    await conn.execute(INSTALL)


async def _remove(conn: asyncpg.Connection) -> None:
    await conn.execute(REMOVE)


@pytest.fixture
async def commit_fails_on_new_events(raw_connection: asyncpg.Connection) -> AsyncIterator[None]:
    await _install(raw_connection)
    try:
        yield
    finally:
        await _remove(raw_connection)


async def _counts(conn: asyncpg.Connection) -> tuple[int, int, int]:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM requests) AS r, (SELECT count(*) FROM request_events) AS e,"
        " (SELECT count(*) FROM outbox) AS o"
    )
    return row["r"], row["e"], row["o"]


async def test_a_filing_whose_commit_fails_is_an_error_and_leaves_nothing(
    client: Client,
    citizen: Caller,
    raw_connection: asyncpg.Connection,
    commit_fails_on_new_events: None,
) -> None:
    headers = {**citizen.headers, "Idempotency-Key": "commit-fails-1"}
    response = await client.post("/api/v1/requests", json=filing("hundeanmeldung"), headers=headers)
    assert response.status_code >= 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await _counts(raw_connection) == (0, 0, 0)
    stored_key = await raw_connection.fetchval("SELECT count(*) FROM idempotency_keys")
    assert stored_key == 0


async def test_a_comment_whose_commit_fails_is_an_error_and_is_not_stored(
    client: Client,
    citizen: Caller,
    raw_connection: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = await file_request(client, citizen)
    before = await _counts(raw_connection)
    await _install(raw_connection)
    try:
        response = await client.post(
            f"/api/v1/requests/{request['id']}/comments",
            json={"body": "Wird nie gespeichert"},
            headers=citizen.headers,
        )
    finally:
        await _remove(raw_connection)
    assert response.status_code >= 500, response.text
    assert await _counts(raw_connection) == before
    # The database's message echoes a value; the error log keeps its SQLSTATE, not the value.
    logged = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert [getattr(r, "sqlstate", None) for r in logged] == ["23514"]
    assert "petra@example.org" not in caplog.text
    assert all("petra@example.org" not in str(r.__dict__) for r in logged)


async def test_the_apps_connections_commit_synchronously(engine: Any) -> None:
    """An acknowledged commit is flushed to the WAL on disk, so it survives a crash."""
    async with engine.connect() as conn:
        setting = (await conn.execute(text("SHOW synchronous_commit"))).scalar_one()
        fsync = (await conn.execute(text("SHOW fsync"))).scalar_one()
    assert setting in ("on", "remote_write", "remote_apply")
    assert fsync == "on"
