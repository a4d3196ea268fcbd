"""Concurrent changes on real connections: one compare-and-set wins, the other gets 412."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg

from tests.requests.helpers import Client, file_request
from tests.support.auth import Caller

ROUNDS = 20


async def _fire(
    client: Client, caller: Caller, request_id: str, transition: str, version: int
) -> int:
    response = await client.post(
        f"/api/v1/requests/{request_id}/transitions",
        json={"transition": transition},
        headers={**caller.headers, "If-Match": f'"{version}"'},
    )
    return response.status_code


async def test_two_clerks_firing_the_same_transition_yield_one_success_one_412_one_event(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    first = await make_staff("clerk", departments=("steuern",))
    second = await make_staff("clerk", departments=("steuern",))
    for _ in range(ROUNDS):
        request = await file_request(client, citizen, "hundeanmeldung")
        statuses = await asyncio.gather(
            _fire(client, first, request["id"], "start_review", request["version"]),
            _fire(client, second, request["id"], "start_review", request["version"]),
        )
        assert sorted(statuses) == [200, 412]
        transitioned = await raw_connection.fetchval(
            "SELECT count(*) FROM request_events WHERE request_id = $1 AND type = 'transitioned'",
            UUID(request["id"]),
        )
        assert transitioned == 1
        published = await raw_connection.fetchval(
            "SELECT count(*) FROM outbox WHERE payload->>'request_id' = $1 "
            "AND payload->>'type' = 'request.transitioned'",
            request["id"],
        )
        assert published == 1
        version = await raw_connection.fetchval(
            "SELECT version FROM requests WHERE id = $1", UUID(request["id"])
        )
        assert version == request["version"] + 1


async def test_competing_different_transitions_leave_exactly_one_outcome(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    for _ in range(ROUNDS // 2):
        request = await file_request(client, citizen, "hundeanmeldung")
        statuses = await asyncio.gather(
            _fire(client, clerk, request["id"], "register", request["version"]),
            _fire(client, citizen, request["id"], "withdraw", request["version"]),
        )
        assert sorted(statuses) == [200, 412]
        state = await raw_connection.fetchval(
            "SELECT state FROM requests WHERE reference = $1", request["reference"]
        )
        assert state in ("registered", "withdrawn")
        closing = await raw_connection.fetchval(
            "SELECT count(*) FROM request_events e JOIN requests r ON r.id = e.request_id "
            "WHERE r.reference = $1 AND e.type = 'transitioned'",
            request["reference"],
        )
        assert closing == 1
