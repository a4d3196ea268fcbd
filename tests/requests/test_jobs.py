"""Worker jobs: workflow timers fire once across workers; overdue is flagged once; SLA pauses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.requests.deadlines import BusinessCalendar
from eservice.requests.jobs import fire_due_timers, flag_overdue
from tests.requests.helpers import Client, events, file_request, fire, outbox_types
from tests.support.auth import Caller

Sessionmaker = async_sessionmaker[AsyncSession]


async def _awaiting_info(client: Client, citizen: Caller, clerk: Caller) -> dict[str, Any]:
    request = await file_request(client, citizen, "hundeanmeldung")
    request = await fire(client, clerk, request, "start_review")
    return await fire(client, clerk, request, "request_info", comment="Bitte Impfpass senden.")


async def test_state_timer_fires_once_across_two_workers(
    client: Client,
    citizen: Caller,
    make_staff: Any,
    sessionmaker: Sessionmaker,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    waiting = [await _awaiting_info(client, citizen, clerk) for _ in range(8)]
    timers = await raw_connection.fetch("SELECT request_id, transition, due_at FROM request_timers")
    assert len(timers) == 8
    assert {t["transition"] for t in timers} == {"expire"}
    assert all(t["due_at"] > datetime.now(UTC) + timedelta(days=29) for t in timers)
    assert await fire_due_timers(sessionmaker, settings=settings) == 0  # nothing due yet

    await raw_connection.execute("UPDATE request_timers SET due_at = now() - interval '1 minute'")
    results = await asyncio.gather(
        fire_due_timers(sessionmaker, settings=settings),
        fire_due_timers(sessionmaker, settings=settings),
        fire_due_timers(sessionmaker, settings=settings),
    )
    assert sum(results) == 8
    assert await fire_due_timers(sessionmaker, settings=settings) == 0
    assert await raw_connection.fetchval("SELECT count(*) FROM request_timers") == 0
    for request in waiting:
        state = await raw_connection.fetchval(
            "SELECT state FROM requests WHERE id = $1", UUID(request["id"])
        )
        assert state == "expired"
        history = await events(client, clerk, request["id"])
        expired = [e for e in history if e["transition"] == "expire"]
        assert len(expired) == 1
        assert expired[0]["actor"]["role"] == "system"
        assert expired[0]["data"]["timer"] is True
        assert (await outbox_types(raw_connection, request["id"])).count(
            "request.transitioned"
        ) == 3


async def test_timer_is_cancelled_when_the_state_is_left(
    client: Client,
    citizen: Caller,
    make_staff: Any,
    sessionmaker: Sessionmaker,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    request = await _awaiting_info(client, citizen, clerk)
    assert await raw_connection.fetchval("SELECT count(*) FROM request_timers") == 1
    request = await fire(client, citizen, request, "provide_info")
    assert request["state"] == "in_review"
    assert await raw_connection.fetchval("SELECT count(*) FROM request_timers") == 0
    assert await fire_due_timers(sessionmaker, settings=settings) == 0


async def test_stale_timer_of_a_left_state_does_not_fire(
    client: Client,
    citizen: Caller,
    make_staff: Any,
    sessionmaker: Sessionmaker,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    request = await file_request(client, citizen, "hundeanmeldung")
    await raw_connection.execute(
        "INSERT INTO request_timers (request_id, state, transition, due_at) "
        "VALUES ($1, 'awaiting_info', 'expire', now() - interval '1 day')",
        UUID(request["id"]),
    )
    assert await fire_due_timers(sessionmaker, settings=settings) == 0
    assert await raw_connection.fetchval("SELECT count(*) FROM request_timers") == 0
    body = (await client.get(f"/api/v1/requests/{request['id']}", headers=clerk.headers)).json()
    assert body["state"] == "submitted"


async def test_overdue_is_flagged_once_across_two_workers(
    client: Client,
    citizen: Caller,
    make_staff: Any,
    sessionmaker: Sessionmaker,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    requests = [await file_request(client, citizen, "hundeanmeldung") for _ in range(6)]
    late = [UUID(r["id"]) for r in requests[:4]]
    await raw_connection.execute(
        "UPDATE requests SET due_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])", late
    )
    # A paused clock is never overdue.
    await raw_connection.execute("UPDATE requests SET sla_state = 'paused' WHERE id = $1", late[3])
    results = await asyncio.gather(flag_overdue(sessionmaker), flag_overdue(sessionmaker))
    assert sum(results) == 3
    assert await flag_overdue(sessionmaker) == 0
    for request_id in late[:3]:
        history = await events(client, clerk, str(request_id))
        assert [e["type"] for e in history].count("overdue") == 1
        assert (await outbox_types(raw_connection, str(request_id))).count("request.overdue") == 1
    citizen_view = await events(client, citizen, str(late[0]))
    assert "overdue" not in [e["type"] for e in citizen_view]
    listed = await client.get("/api/v1/requests?overdue=true", headers=clerk.headers)
    assert {r["id"] for r in listed.json()["items"]} == {str(i) for i in late[:3]}
    assert all(r["overdue"] for r in listed.json()["items"])


async def test_sla_clock_pauses_while_waiting_and_the_due_date_moves_on_resume(
    client: Client,
    citizen: Caller,
    make_staff: Any,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    request = await _awaiting_info(client, citizen, clerk)
    assert request["sla_state"] == "paused"
    request_id = UUID(request["id"])
    due_before = await raw_connection.fetchval(
        "SELECT due_at FROM requests WHERE id = $1", request_id
    )
    paused_at = datetime.now(UTC) - timedelta(days=9)
    await raw_connection.execute(
        "UPDATE requests SET sla_paused_at = $2 WHERE id = $1", request_id, paused_at
    )
    request = await fire(client, citizen, request, "provide_info")
    assert request["sla_state"] == "runs"
    calendar = BusinessCalendar(settings.holiday_subdivision, settings.time_zone)
    expected = calendar.resume(due_before, paused_at, datetime.now(UTC))
    due_after = datetime.fromisoformat(request["due_at"])
    assert due_after == expected
    moved = calendar.business_days_between(
        calendar.local_date(due_before), calendar.local_date(due_after)
    )
    assert moved == calendar.business_days_between(
        calendar.local_date(paused_at), calendar.local_date(datetime.now(UTC))
    )
    assert moved >= 2  # nine calendar days hold at least two business days
