"""api.md "Clerk queues": counts per department, sorted queue lists, claim (200 or 204)."""

from __future__ import annotations

import asyncio

from tests.contract.helpers import Client, assert_problem
from tests.requests.helpers import file_request
from tests.support.auth import MakeCitizen, MakeStaff


async def test_queue_summary_counts_by_state_unassigned_overdue(
    client: Client, make_citizen: MakeCitizen, make_staff: MakeStaff
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["steuern"])
    await file_request(client, citizen, "hundeanmeldung")
    await file_request(client, citizen, "hundeanmeldung")
    response = await client.get("/api/v1/queues", headers=clerk.headers)
    assert response.status_code == 200
    items = response.json()["items"]
    [steuern] = [q for q in items if q["department"] == "steuern"]
    assert steuern["counts"]["submitted"] == 2
    assert steuern["unassigned"] == 2
    assert steuern["overdue"] == 0
    assert {q["department"] for q in items} == {"steuern"}
    assert_problem(await client.get("/api/v1/queues", headers=citizen.headers), 403)


async def test_queue_list_sorts_and_is_only_for_its_staff(
    client: Client, make_citizen: MakeCitizen, make_staff: MakeStaff
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["steuern"])
    outsider = await make_staff("clerk", ["verkehr"])
    created = [await file_request(client, citizen, "hundeanmeldung") for _ in range(3)]
    path = "/api/v1/queues/steuern/requests"
    for sort in ("due_at", "priority", "submitted_at"):
        response = await client.get(path, params={"sort": sort}, headers=clerk.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert {r["id"] for r in page["items"]} == {r["id"] for r in created}
        assert page["next_cursor"] is None
    submitted = (
        await client.get(path, params={"sort": "submitted_at"}, headers=clerk.headers)
    ).json()
    stamps = [r["submitted_at"] for r in submitted["items"]]
    assert stamps == sorted(stamps)
    paged = (await client.get(path, params={"limit": 2}, headers=clerk.headers)).json()
    assert len(paged["items"]) == 2
    assert paged["next_cursor"]
    bad_sort = await client.get(path, params={"sort": "name"}, headers=clerk.headers)
    assert 400 <= bad_sort.status_code < 500
    assert_problem(bad_sort, bad_sort.status_code)
    assert_problem(await client.get(path, headers=outsider.headers), 404)
    claim = await client.post("/api/v1/queues/steuern/claim", headers=outsider.headers)
    assert_problem(claim, 404)


async def test_claim_returns_the_request_then_204_and_never_twice(
    client: Client, make_citizen: MakeCitizen, make_staff: MakeStaff
) -> None:
    citizen = await make_citizen()
    clerks = [await make_staff("clerk", ["steuern"]) for _ in range(3)]
    filed = {(await file_request(client, citizen, "hundeanmeldung"))["id"] for _ in range(2)}
    answers = await asyncio.gather(
        *(client.post("/api/v1/queues/steuern/claim", headers=c.headers) for c in clerks)
    )
    claimed = [a.json() for a in answers if a.status_code == 200]
    assert sorted(a.status_code for a in answers) == [200, 200, 204]
    assert {c["id"] for c in claimed} == filed
    for answer in answers:
        if answer.status_code == 200:
            body = answer.json()
            assert answer.headers["etag"] == f'"{body["version"]}"'
            assert body["assignee"] is not None
    empty = await client.post("/api/v1/queues/steuern/claim", headers=clerks[0].headers)
    assert empty.status_code == 204
    assert empty.content == b""
