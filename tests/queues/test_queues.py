"""Clerk queues: counts per department, filtered and sorted keyset lists, assignment."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Litestar
from sqlalchemy import event

from tests.requests.helpers import Client, file_request, fire
from tests.support.auth import Caller


async def _list(client: Client, caller: Caller, url: str) -> list[dict[str, Any]]:
    response = await client.get(url, headers=caller.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _walk(client: Client, caller: Caller, url: str, limit: int) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    sep = "&" if "?" in url else "?"
    for _ in range(100):
        page_url = f"{url}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(page_url, headers=caller.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


async def test_queue_counts_by_state_unassigned_and_overdue(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    clerk = await make_staff("clerk", departments=("steuern", "buergerservice"))
    requests = [await file_request(client, citizen, "hundeanmeldung") for _ in range(4)]
    await file_request(client, citizen, "hundeanmeldung", submit=False)  # drafts do not count
    await file_request(client, citizen, "meldebescheinigung")
    await fire(client, clerk, requests[0], "start_review")
    await fire(client, clerk, requests[1], "register")
    claimed = await client.post("/api/v1/queues/steuern/claim", headers=clerk.headers)
    assert claimed.status_code == 200
    await raw_connection.execute(
        "UPDATE requests SET due_at = now() - interval '1 day' WHERE id = $1",
        UUID(requests[3]["id"]),
    )
    response = await client.get("/api/v1/queues", headers=clerk.headers)
    assert response.status_code == 200
    queues = {q["department"]: q for q in response.json()["items"]}
    assert queues["steuern"]["counts"] == {"submitted": 2, "in_review": 1, "registered": 1}
    assert queues["steuern"]["open"] == 3
    assert queues["steuern"]["unassigned"] == 2
    assert queues["steuern"]["overdue"] == 1
    assert queues["buergerservice"]["counts"] == {"submitted": 1}
    assert (await client.get("/api/v1/queues", headers=citizen.headers)).status_code == 403


async def test_queue_of_another_department_is_404(client: Client, make_staff: Any) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    response = await client.get("/api/v1/queues/verkehr/requests", headers=clerk.headers)
    assert response.status_code == 404
    claim = await client.post("/api/v1/queues/verkehr/claim", headers=clerk.headers)
    assert claim.status_code == 404


async def test_queue_filters_state_service_assignee_overdue_and_text(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    clerk = await make_staff("clerk", departments=("tiefbau",))
    other = await make_staff("clerk", departments=("tiefbau",))
    reports = [await file_request(client, citizen, "strassenschaden") for _ in range(3)]
    await fire(client, clerk, reports[0], "start_work")
    await client.put(
        f"/api/v1/requests/{reports[1]['id']}/assignee",
        json={"assignee_id": str(other.id)},
        headers={**other.headers, "If-Match": f'"{reports[1]["version"]}"'},
    )
    await raw_connection.execute(
        "UPDATE requests SET due_at = now() - interval '1 day' WHERE id = $1",
        UUID(reports[2]["id"]),
    )
    base = "/api/v1/queues/tiefbau/requests"
    ids = [r["id"] for r in reports]
    assert [r["id"] for r in await _list(client, clerk, f"{base}?state=in_progress")] == [ids[0]]
    assert len(await _list(client, clerk, f"{base}?service=strassenschaden")) == 3
    assert await _list(client, clerk, f"{base}?service=sondernutzung") == []
    assert [r["id"] for r in await _list(client, other, f"{base}?assignee=me")] == [ids[1]]
    assert [r["id"] for r in await _list(client, clerk, f"{base}?assignee={other.id}")] == [ids[1]]
    assert len(await _list(client, clerk, f"{base}?assignee=none")) == 2
    assert [r["id"] for r in await _list(client, clerk, f"{base}?overdue=true")] == [ids[2]]
    assert len(await _list(client, clerk, f"{base}?overdue=false")) == 2
    reference = reports[1]["reference"]
    by_ref = await _list(client, clerk, f"{base}?q={reference[-8:].lower()}")
    assert [r["id"] for r in by_ref] == [ids[1]]
    assert len(await _list(client, clerk, f"{base}?q=Straßenschaden")) == 3
    assert await _list(client, clerk, f"{base}?q=%25") == []
    bad = await client.get(f"{base}?assignee=somebody", headers=clerk.headers)
    assert bad.status_code == 400


async def test_queue_sorts_and_keyset_pages_cover_every_request_once(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    created = [await file_request(client, citizen, "hundeanmeldung") for _ in range(9)]
    for index, request in enumerate(created):
        await raw_connection.execute(
            "UPDATE requests SET priority = $2, due_at = due_at + $3 * interval '1 day' "
            "WHERE id = $1",
            UUID(request["id"]),
            index % 3,
            (index * 7) % 5,
        )
    base = "/api/v1/queues/steuern/requests"
    by_due = await _walk(client, clerk, f"{base}?sort=due_at", 4)
    assert len(by_due) == 9
    assert len({r["id"] for r in by_due}) == 9
    dues = [(r["due_at"], r["id"]) for r in by_due]
    assert [d for d, _ in dues] == sorted(d for d, _ in dues)
    by_priority = await _walk(client, clerk, f"{base}?sort=priority", 2)
    assert len({r["id"] for r in by_priority}) == 9
    keys = [(-r["priority"], r["due_at"]) for r in by_priority]
    assert keys == sorted(keys)
    by_submitted = await _walk(client, clerk, f"{base}?sort=submitted_at", 3)
    submitted = [r["submitted_at"] for r in by_submitted]
    assert submitted == sorted(submitted)
    assert len(submitted) == 9
    everything = await _walk(client, citizen, "/api/v1/requests", 5)
    created_at = [r["created_at"] for r in everything]
    assert created_at == sorted(created_at, reverse=True)
    assert len(everything) == 9


async def test_bad_limit_sort_and_cursor_are_400(
    client: Client, make_staff: Any, citizen: Caller
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    base = "/api/v1/queues/steuern/requests"
    for query in ("limit=101", "limit=0", "sort=reference", "cursor=bm9wZQ", "cursor=!!"):
        response = await client.get(f"{base}?{query}", headers=clerk.headers)
        assert response.status_code == 400, query
        assert response.headers["content-type"].startswith("application/problem+json")
    forged = await client.get(
        "/api/v1/requests?sort=due_at&cursor=WyJub3QtYS1kYXRlIiwgIngiXQ", headers=citizen.headers
    )
    assert forged.status_code == 400


async def test_citizen_list_shows_only_own_requests(
    client: Client, citizen: Caller, other_citizen: Caller
) -> None:
    mine = await file_request(client, citizen)
    await file_request(client, other_citizen)
    listed = await _list(client, citizen, "/api/v1/requests")
    assert [r["id"] for r in listed] == [mine["id"]]
    assert "assignee" not in listed[0]
    refused = await client.get("/api/v1/requests?assignee=me", headers=citizen.headers)
    assert refused.status_code == 400


async def test_client_lists_only_its_services(
    client: Client, citizen: Caller, make_api_client: Any
) -> None:
    dogs = await file_request(client, citizen, "hundeanmeldung")
    await file_request(client, citizen, "meldebescheinigung")
    reader = await make_api_client(["requests:read"], services=["hundeanmeldung"])
    assert [r["id"] for r in await _list(client, reader, "/api/v1/requests")] == [dogs["id"]]
    nothing = await make_api_client(["subscriptions:manage"])
    assert await _list(client, nothing, "/api/v1/requests") == []


async def test_list_is_a_constant_number_of_queries_whatever_the_page_size(
    app: Litestar, client: Client, citizen: Caller, make_staff: Any
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    for _ in range(12):
        await file_request(client, citizen, "hundeanmeldung")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await _list(client, clerk, "/api/v1/queues/steuern/requests?limit=2")
        small = len(statements)
        statements.clear()
        await _list(client, clerk, "/api/v1/queues/steuern/requests?limit=12")
        large = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert small == large
    assert large <= 4


async def test_staff_reads_are_recorded_in_the_access_log(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    request = await file_request(client, citizen)
    await client.get(f"/api/v1/requests/{request['id']}", headers=citizen.headers)
    assert await raw_connection.fetchval("SELECT count(*) FROM request_access_log") == 0
    await client.get(f"/api/v1/requests/{request['id']}", headers=clerk.headers)
    await _list(client, clerk, "/api/v1/queues/steuern/requests")
    rows = await raw_connection.fetch(
        "SELECT request_id, staff_id, action, accessed_at FROM request_access_log ORDER BY id"
    )
    assert [(r["staff_id"], r["action"]) for r in rows] == [(clerk.id, "read"), (clerk.id, "list")]
    assert all(str(r["request_id"]) == request["id"] and r["accessed_at"] for r in rows)
