"""Claiming the next request and (re)assigning: no request is handed out twice."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg

from tests.requests.helpers import Client, events, file_request
from tests.support.auth import Caller


async def test_claim_hands_out_the_most_urgent_unassigned_request(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    plain, urgent, soon = [await file_request(client, citizen, "hundeanmeldung") for _ in range(3)]
    await raw_connection.execute(
        "UPDATE requests SET priority = 2 WHERE id = $1", UUID(urgent["id"])
    )
    await raw_connection.execute(
        "UPDATE requests SET due_at = due_at - interval '3 days' WHERE id = $1", UUID(soon["id"])
    )
    order = []
    for _ in range(3):
        response = await client.post("/api/v1/queues/steuern/claim", headers=clerk.headers)
        assert response.status_code == 200
        assert response.json()["assignee"] == str(clerk.id)
        assert response.headers["etag"] == f'"{response.json()["version"]}"'
        order.append(response.json()["id"])
    assert order == [urgent["id"], soon["id"], plain["id"]]
    empty = await client.post("/api/v1/queues/steuern/claim", headers=clerk.headers)
    assert empty.status_code == 204
    history = await events(client, clerk, urgent["id"])
    claimed = [e for e in history if e["type"] == "assigned"]
    assert len(claimed) == 1
    assert claimed[0]["data"]["claimed"] is True


async def test_parallel_claims_drain_the_queue_without_handing_out_twice(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    clerks = [await make_staff("clerk", departments=("steuern",)) for _ in range(4)]
    for round_ in range(3):
        filed = {(await file_request(client, citizen, "hundeanmeldung"))["id"] for _ in range(10)}
        responses = await asyncio.gather(
            *(
                client.post("/api/v1/queues/steuern/claim", headers=clerks[n % 4].headers)
                for n in range(14)
            )
        )
        handed = [r.json()["id"] for r in responses if r.status_code == 200]
        assert sorted(r.status_code for r in responses) == [200] * 10 + [204] * 4, round_
        assert len(handed) == len(set(handed)) == 10
        assert set(handed) == filed
    assigned = await raw_connection.fetchval(
        "SELECT count(*) FROM request_events WHERE type = 'assigned'"
    )
    assert assigned == 30
    outbox = await raw_connection.fetchval(
        "SELECT count(*) FROM outbox WHERE payload->>'type' = 'request.assigned'"
    )
    assert outbox == 30


async def test_only_clerks_and_supervisors_claim(
    client: Client, citizen: Caller, make_staff: Any
) -> None:
    admin_elsewhere = await make_staff("clerk", departments=("verkehr",))
    await file_request(client, citizen, "hundeanmeldung")
    response = await client.post("/api/v1/queues/steuern/claim", headers=admin_elsewhere.headers)
    assert response.status_code == 404
    response = await client.post("/api/v1/queues/steuern/claim", headers=citizen.headers)
    assert response.status_code == 404


async def test_clerk_assigns_self_and_supervisor_reassigns(
    client: Client, citizen: Caller, make_staff: Any
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    colleague = await make_staff("clerk", departments=("steuern",))
    supervisor = await make_staff("supervisor", departments=("steuern",))
    outsider = await make_staff("clerk", departments=("verkehr",))
    request = await file_request(client, citizen, "hundeanmeldung")
    url = f"/api/v1/requests/{request['id']}/assignee"

    def headers(caller: Caller, version: int) -> dict[str, str]:
        return {**caller.headers, "If-Match": f'"{version}"'}

    version = request["version"]
    no_match = await client.put(url, json={"assignee_id": str(clerk.id)}, headers=clerk.headers)
    assert no_match.status_code == 428
    mine = await client.put(
        url, json={"assignee_id": str(clerk.id)}, headers=headers(clerk, version)
    )
    assert mine.status_code == 200
    assert mine.json()["assignee"] == str(clerk.id)
    version = mine.json()["version"]
    stale = await client.put(url, json={"assignee_id": None}, headers=headers(clerk, version - 1))
    assert stale.status_code == 412
    grab = await client.put(
        url, json={"assignee_id": str(colleague.id)}, headers=headers(colleague, version)
    )
    assert grab.status_code == 403
    to_outsider = await client.put(
        url, json={"assignee_id": str(outsider.id)}, headers=headers(supervisor, version)
    )
    assert to_outsider.status_code == 422
    moved = await client.put(
        url, json={"assignee_id": str(colleague.id)}, headers=headers(supervisor, version)
    )
    assert moved.status_code == 200
    assert moved.json()["assignee"] == str(colleague.id)
    version = moved.json()["version"]
    given_back = await client.put(
        url, json={"assignee_id": None}, headers=headers(colleague, version)
    )
    assert given_back.status_code == 200
    assert given_back.json()["assignee"] is None
    by_citizen = await client.put(
        url, json={"assignee_id": None}, headers=headers(citizen, given_back.json()["version"])
    )
    assert by_citizen.status_code == 403
    unknown_field = await client.put(
        url, json={"assignee_id": None, "state": "x"}, headers=headers(supervisor, 1)
    )
    assert unknown_field.status_code == 422
    history = await events(client, supervisor, request["id"])
    assert [e["type"] for e in history].count("assigned") == 3


async def test_any_clerk_of_the_department_may_fire_clerk_transitions(
    client: Client, citizen: Caller, make_staff: Any
) -> None:
    assignee = await make_staff("clerk", departments=("steuern",))
    colleague = await make_staff("clerk", departments=("steuern",))
    request = await file_request(client, citizen, "hundeanmeldung")
    claim = await client.post("/api/v1/queues/steuern/claim", headers=assignee.headers)
    version = claim.json()["version"]
    response = await client.post(
        f"/api/v1/requests/{request['id']}/transitions",
        json={"transition": "start_review"},
        headers={**colleague.headers, "If-Match": f'"{version}"'},
    )
    assert response.status_code == 200
