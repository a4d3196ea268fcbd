"""api.md "Requests": filing, drafts, ETag/If-Match, history, transitions, comments, assignee."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import asyncpg

from tests.contract.helpers import Client, assert_problem, assert_rfc3339
from tests.requests.helpers import LOCATION, example, file_request, filing
from tests.support.auth import Caller, MakeCitizen, MakeStaff

REQUEST_FIELDS = {
    "id",
    "reference",
    "service",
    "state",
    "state_label",
    "version",
    "data",
    "location",
    "department",
    "priority",
    "due_at",
    "created_at",
    "submitted_at",
    "updated_at",
    "closed_at",
}


def _if_match(caller: Caller, version: int) -> dict[str, str]:
    return {**caller.headers, "If-Match": f'"{version}"'}


async def test_filing_answers_201_with_location_etag_and_every_field(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    response = await client.post(
        "/api/v1/requests", json=filing("strassenschaden"), headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) >= REQUEST_FIELDS
    assert "assignee" not in body
    assert response.headers["location"].endswith(f"/api/v1/requests/{body['id']}")
    assert response.headers["etag"] == f'"{body["version"]}"'
    assert isinstance(body["version"], int)
    assert re.fullmatch(r"[A-Z]{2,4}-\d{4}-[0-9A-Z]{8}", body["reference"]), body["reference"]
    assert body["service"] == {"code": "strassenschaden", "version": 2}
    assert body["state"] == "submitted"
    assert body["department"] == "tiefbau"
    assert body["location"]["lat"] == LOCATION["lat"]
    for stamp in ("created_at", "submitted_at", "updated_at", "due_at"):
        assert_rfc3339(body[stamp])
    assert body["closed_at"] is None

    fetched = await client.get(response.headers["location"], headers=citizen.headers)
    assert fetched.status_code == 200
    assert fetched.headers["etag"] == response.headers["etag"]
    assert fetched.json()["reference"] == body["reference"]


async def test_state_label_follows_the_account_locale(
    client: Client, make_citizen: MakeCitizen
) -> None:
    german = await make_citizen(locale="de")
    english = await make_citizen(locale="en")
    de = await file_request(client, german)
    en = await file_request(client, english)
    assert de["state_label"] == "Eingegangen"
    assert en["state_label"] == "Submitted"


async def test_server_owned_fields_cannot_be_set_on_filing(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    for field in ("state", "assignee", "department", "version", "priority", "created_at"):
        body = {**filing("hundeanmeldung"), field: "x"}
        problem = assert_problem(
            await client.post("/api/v1/requests", json=body, headers=citizen.headers), 422
        )
        assert f"/{field}" in [e["pointer"] for e in problem["errors"]]


async def test_draft_patch_needs_if_match_and_submit_transition_files_it(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    draft = await file_request(client, citizen, submit=False)
    assert draft["state"] == "draft"
    assert draft["submitted_at"] is None
    path = f"/api/v1/requests/{draft['id']}"
    changed_data = example("hundeanmeldung", 0)
    assert_problem(
        await client.patch(path, json={"data": changed_data}, headers=citizen.headers), 428
    )
    stale = await client.patch(
        path, json={"data": changed_data}, headers=_if_match(citizen, draft["version"] + 5)
    )
    assert_problem(stale, 412)
    assert_problem(
        await client.patch(
            path, json={"state": "submitted"}, headers=_if_match(citizen, draft["version"])
        ),
        422,
    )
    patched = await client.patch(
        path, json={"data": changed_data}, headers=_if_match(citizen, draft["version"])
    )
    assert patched.status_code == 200, patched.text
    assert patched.headers["etag"] == f'"{patched.json()["version"]}"'
    version = patched.json()["version"]
    assert version > draft["version"]

    names = await client.get(f"{path}/transitions", headers=citizen.headers)
    assert names.status_code == 200
    offered = names.json()
    assert [t["name"] for t in offered] == ["submit"]
    assert set(offered[0]) >= {"name", "to", "label", "requires"}
    submitted = await client.post(
        f"{path}/transitions", json={"transition": "submit"}, headers=_if_match(citizen, version)
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "submitted"
    assert submitted.headers["etag"] == f'"{submitted.json()["version"]}"'
    after = await client.patch(
        path, json={"data": changed_data}, headers=_if_match(citizen, submitted.json()["version"])
    )
    assert 400 <= after.status_code < 500
    assert after.status_code != 404
    assert_problem(after, after.status_code)


async def test_draft_of_another_citizen_is_404_on_patch(
    client: Client, make_citizen: MakeCitizen
) -> None:
    owner = await make_citizen()
    stranger = await make_citizen()
    draft = await file_request(client, owner, submit=False)
    response = await client.patch(
        f"/api/v1/requests/{draft['id']}",
        json={"data": example("hundeanmeldung")},
        headers=_if_match(stranger, draft["version"]),
    )
    assert_problem(response, 404)


async def test_transition_status_codes_428_412_409_403_422(
    client: Client, make_citizen: MakeCitizen, make_staff: MakeStaff
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["steuern"])
    request = await file_request(client, citizen)
    path = f"/api/v1/requests/{request['id']}/transitions"
    version = request["version"]

    assert_problem(
        await client.post(path, json={"transition": "register"}, headers=clerk.headers), 428
    )
    assert_problem(
        await client.post(
            path, json={"transition": "start_review"}, headers=_if_match(clerk, version + 1)
        ),
        412,
    )
    assert_problem(
        await client.post(
            path, json={"transition": "provide_info"}, headers=_if_match(clerk, version)
        ),
        409,
    )
    assert_problem(
        await client.post(
            path, json={"transition": "register"}, headers=_if_match(citizen, version)
        ),
        403,
    )
    assert_problem(
        await client.post(path, json={"transition": "reject"}, headers=_if_match(clerk, version)),
        422,
    )
    unknown = await client.post(path, json={"transition": "fly"}, headers=_if_match(clerk, version))
    assert 400 <= unknown.status_code < 500
    assert_problem(unknown, unknown.status_code)
    assert_problem(
        await client.post(
            path,
            json={"transition": "start_review", "state": "x"},
            headers=_if_match(clerk, version),
        ),
        422,
    )
    started = await client.post(
        path, json={"transition": "start_review"}, headers=_if_match(clerk, version)
    )
    assert started.status_code == 200, started.text
    loser = await client.post(
        path, json={"transition": "register"}, headers=_if_match(clerk, version)
    )
    assert_problem(loser, 412)
    done = await client.post(
        path,
        json={"transition": "register", "comment": "Alles in Ordnung."},
        headers=_if_match(clerk, started.json()["version"]),
    )
    assert done.status_code == 200
    closed = done.json()
    assert closed["state"] == "registered"
    assert_rfc3339(closed["closed_at"])
    assert "assignee" in closed


async def test_events_oldest_first_citizens_see_only_public(
    client: Client, make_citizen: MakeCitizen, make_staff: MakeStaff
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["steuern"])
    request = await file_request(client, citizen)
    comments = f"/api/v1/requests/{request['id']}/comments"
    public = await client.post(
        comments, json={"body": "Wir prüfen.", "visibility": "public"}, headers=clerk.headers
    )
    assert public.status_code == 201, public.text
    internal = await client.post(
        comments,
        json={"body": "Halter vorbestraft?", "visibility": "internal"},
        headers=clerk.headers,
    )
    assert internal.status_code == 201
    forbidden = await client.post(
        comments, json={"body": "Geheim", "visibility": "internal"}, headers=citizen.headers
    )
    assert_problem(forbidden, 403)
    own = await client.post(
        comments, json={"body": "Danke!", "visibility": "public"}, headers=citizen.headers
    )
    assert own.status_code == 201

    staff_view = (
        await client.get(f"/api/v1/requests/{request['id']}/events", headers=clerk.headers)
    ).json()
    citizen_view = (
        await client.get(f"/api/v1/requests/{request['id']}/events", headers=citizen.headers)
    ).json()
    assert set(staff_view) >= {"items", "next_cursor"}
    stamps = [e["occurred_at"] for e in staff_view["items"]]
    assert stamps == sorted(stamps)
    assert any(e["visibility"] == "internal" for e in staff_view["items"])
    assert all(e["visibility"] == "public" for e in citizen_view["items"])
    assert "Halter vorbestraft?" not in str(citizen_view)
    assert len(citizen_view["items"]) < len(staff_view["items"])


async def test_list_filters_state_service_assignee_overdue_q(
    client: Client,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["steuern", "tiefbau"])
    dog = await file_request(client, citizen, "hundeanmeldung")
    road = await file_request(client, citizen, "strassenschaden")
    draft = await file_request(client, citizen, "hundeanmeldung", submit=False)

    async def ids(caller: Caller, **params: Any) -> set[str]:
        response = await client.get("/api/v1/requests", params=params, headers=caller.headers)
        assert response.status_code == 200, response.text
        return {r["id"] for r in response.json()["items"]}

    assert await ids(citizen) == {dog["id"], road["id"], draft["id"]}
    assert await ids(citizen, state="draft") == {draft["id"]}
    assert await ids(citizen, service="strassenschaden") == {road["id"]}
    assert await ids(citizen, q=road["reference"]) == {road["id"]}
    assert await ids(citizen, overdue="true") == set()
    await raw_connection.execute(
        "UPDATE requests SET due_at = now() - interval '1 day' WHERE id = $1", UUID(road["id"])
    )
    assert await ids(citizen, overdue="true") == {road["id"]}
    assert await ids(clerk, overdue="true") == {road["id"]}
    queue = await client.get("/api/v1/queues", headers=clerk.headers)
    [tiefbau] = [q for q in queue.json()["items"] if q["department"] == "tiefbau"]
    assert tiefbau["overdue"] == 1
    assert draft["id"] not in await ids(clerk)
    assert await ids(clerk, assignee="none") >= {dog["id"], road["id"]}
    assigned = await client.put(
        f"/api/v1/requests/{dog['id']}/assignee",
        json={"assignee_id": str(clerk.id)},
        headers=_if_match(clerk, dog["version"]),
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee"] == str(clerk.id)
    assert await ids(clerk, assignee="me") == {dog["id"]}
    assert await ids(clerk, assignee=str(clerk.id)) == {dog["id"]}
    bad = await client.get("/api/v1/requests", params={"assignee": "x"}, headers=clerk.headers)
    assert_problem(bad, 400)


async def test_assignee_needs_if_match_and_staff(
    client: Client, make_citizen: MakeCitizen, make_staff: MakeStaff
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["steuern"])
    other_clerk = await make_staff("clerk", ["steuern"])
    supervisor = await make_staff("supervisor", ["steuern"])
    request = await file_request(client, citizen)
    path = f"/api/v1/requests/{request['id']}/assignee"
    me = {"assignee_id": str(clerk.id)}
    assert_problem(await client.put(path, json=me, headers=clerk.headers), 428)
    assert_problem(
        await client.put(path, json=me, headers=_if_match(clerk, request["version"] + 3)), 412
    )
    theirs = {"assignee_id": str(other_clerk.id)}
    assert_problem(
        await client.put(path, json=theirs, headers=_if_match(clerk, request["version"])), 403
    )
    assert_problem(
        await client.put(path, json=me, headers=_if_match(citizen, request["version"])), 403
    )
    by_supervisor = await client.put(
        path, json=theirs, headers=_if_match(supervisor, request["version"])
    )
    assert by_supervisor.status_code == 200, by_supervisor.text
    cleared = await client.put(
        path,
        json={"assignee_id": None},
        headers=_if_match(supervisor, by_supervisor.json()["version"]),
    )
    assert cleared.status_code == 200
    assert cleared.json()["assignee"] is None
