"""Idempotency-Key on create endpoints: replay, mismatch, concurrency, scope and expiry."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.idempotency import advisory_lock_id, caller_key, purge_expired_keys
from tests.requests.helpers import Client, example, file_request, filing
from tests.support.auth import Caller


def _with_key(caller: Caller, key: str) -> dict[str, str]:
    return {**caller.headers, "Idempotency-Key": key}


async def _requests(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM requests")
    return count


async def test_same_key_and_body_replays_the_first_answer(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    body = filing("hundeanmeldung")
    first = await client.post("/api/v1/requests", json=body, headers=_with_key(citizen, "k-1"))
    reordered = dict(reversed(list(body.items())))
    second = await client.post(
        "/api/v1/requests", json=reordered, headers=_with_key(citizen, "k-1")
    )
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["idempotent-replayed"] == "true"
    assert await _requests(raw_connection) == 1
    assert await raw_connection.fetchval("SELECT count(*) FROM outbox") == 1


async def test_same_key_with_another_body_is_422(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    await client.post(
        "/api/v1/requests", json=filing("hundeanmeldung"), headers=_with_key(citizen, "k-2")
    )
    other = filing("meldebescheinigung")
    response = await client.post("/api/v1/requests", json=other, headers=_with_key(citizen, "k-2"))
    assert response.status_code == 422
    assert await _requests(raw_connection) == 1


async def test_keys_are_scoped_per_caller(
    client: Client, citizen: Caller, other_citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    body = filing("hundeanmeldung")
    mine = await client.post("/api/v1/requests", json=body, headers=_with_key(citizen, "shared"))
    theirs = await client.post(
        "/api/v1/requests", json=body, headers=_with_key(other_citizen, "shared")
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert await _requests(raw_connection) == 2


async def test_request_still_running_with_the_key_is_409(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    lock = advisory_lock_id(caller_key("citizen", citizen.id), "busy")
    await raw_connection.execute("SELECT pg_advisory_lock($1)", lock)
    try:
        response = await client.post(
            "/api/v1/requests", json=filing("hundeanmeldung"), headers=_with_key(citizen, "busy")
        )
        assert response.status_code == 409
    finally:
        await raw_connection.execute("SELECT pg_advisory_unlock($1)", lock)
    assert await _requests(raw_connection) == 0


async def test_concurrent_retries_never_create_a_duplicate(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    body = filing("hundeanmeldung")
    for round_ in range(10):
        responses = await asyncio.gather(
            *(
                client.post("/api/v1/requests", json=body, headers=_with_key(citizen, f"r{round_}"))
                for _ in range(3)
            )
        )
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {201, 409}
        assert 201 in statuses
        assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    assert await _requests(raw_connection) == 10


async def test_failed_first_attempt_stores_nothing_under_the_key(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    bad = {"service": "hundeanmeldung", "data": {**example("hundeanmeldung"), "chipnummer": "1"}}
    refused = await client.post("/api/v1/requests", json=bad, headers=_with_key(citizen, "fix"))
    assert refused.status_code == 422
    fixed = await client.post(
        "/api/v1/requests", json=filing("hundeanmeldung"), headers=_with_key(citizen, "fix")
    )
    assert fixed.status_code == 201
    assert await _requests(raw_connection) == 1


async def test_overlong_key_is_400(client: Client, citizen: Caller) -> None:
    response = await client.post(
        "/api/v1/requests", json=filing("hundeanmeldung"), headers=_with_key(citizen, "x" * 256)
    )
    assert response.status_code == 400


async def test_keys_expire_after_24_hours(
    client: Client,
    citizen: Caller,
    raw_connection: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    body = filing("hundeanmeldung")
    first = await client.post("/api/v1/requests", json=body, headers=_with_key(citizen, "old"))
    await raw_connection.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '23 hours'"
    )
    replay = await client.post("/api/v1/requests", json=body, headers=_with_key(citizen, "old"))
    assert replay.json()["id"] == first.json()["id"]
    await raw_connection.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
    )
    fresh = await client.post("/api/v1/requests", json=body, headers=_with_key(citizen, "old"))
    assert fresh.status_code == 201
    assert fresh.json()["id"] != first.json()["id"]
    await raw_connection.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
    )
    assert await purge_expired_keys(sessionmaker) == 1
    assert await raw_connection.fetchval("SELECT count(*) FROM idempotency_keys") == 0


async def test_comments_honour_the_key_too(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    request: dict[str, Any] = await file_request(client, citizen)
    url = f"/api/v1/requests/{request['id']}/comments"
    body = {"body": "Nur einmal bitte"}
    first = await client.post(url, json=body, headers=_with_key(citizen, "c"))
    second = await client.post(url, json=body, headers=_with_key(citizen, "c"))
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    count = await raw_connection.fetchval(
        "SELECT count(*) FROM request_events WHERE type = 'commented'"
    )
    assert count == 1
