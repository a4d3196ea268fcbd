"""api.md "General": problem bodies, unknown fields, pagination, 404-not-403, Idempotency-Key."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eservice.core.idempotency import advisory_lock_id, caller_key
from tests.contract.helpers import assert_problem
from tests.requests.helpers import file_request, filing
from tests.support.auth import MakeApiClient, MakeCitizen, MakeStaff

Client = AsyncTestClient[Litestar]


async def test_unknown_body_field_is_422_with_pointer(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    for field, value in (("state", "approved"), ("assignee", None), ("department", "x")):
        body = {**filing("hundeanmeldung"), field: value}
        response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
        problem = assert_problem(response, 422)
        pointers = [e["pointer"] for e in problem["errors"]]
        assert f"/{field}" in pointers, problem
        assert all(set(e) >= {"pointer", "message"} for e in problem["errors"])


async def test_invalid_form_data_is_422_with_pointer_into_data(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    body = filing("strassenschaden")
    body["data"]["kategorie"] = "kein-gueltiger-wert"
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    problem = assert_problem(response, 422)
    assert "/data/kategorie" in [e["pointer"] for e in problem["errors"]], problem


async def test_malformed_json_is_a_problem_not_a_500(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    response = await client.post(
        "/api/v1/requests",
        content=b'{"service": ',
        headers={**citizen.headers, "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


async def test_missing_token_is_401_problem(client: Client) -> None:
    assert_problem(await client.get("/api/v1/requests"), 401)


async def test_list_pagination_default_twenty_and_cursor(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    for _ in range(22):
        await file_request(client, citizen, submit=False)
    first = await client.get("/api/v1/requests", headers=citizen.headers)
    assert first.status_code == 200
    page = first.json()
    assert set(page) >= {"items", "next_cursor"}
    assert len(page["items"]) == 20
    assert isinstance(page["next_cursor"], str)
    second = await client.get(
        "/api/v1/requests", params={"cursor": page["next_cursor"]}, headers=citizen.headers
    )
    rest = second.json()
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None
    ids = {r["id"] for r in page["items"]} | {r["id"] for r in rest["items"]}
    assert len(ids) == 22


async def test_limit_above_hundred_is_400_and_hundred_is_fine(
    client: Client,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    make_api_client: MakeApiClient,
) -> None:
    citizen = await make_citizen()
    staff = await make_staff("supervisor", ["steuern"])
    manager = await make_api_client(["subscriptions:manage"])
    request = await file_request(client, citizen)
    paths = [
        ("/api/v1/requests", citizen),
        (f"/api/v1/requests/{request['id']}/events", citizen),
        ("/api/v1/me/notifications", citizen),
        ("/api/v1/queues/steuern/requests", staff),
        ("/api/v1/services", citizen),
        ("/api/v1/subscriptions", manager),
    ]
    for path, caller in paths:
        assert (
            await client.get(path, params={"limit": 100}, headers=caller.headers)
        ).status_code == 200, path
        assert_problem(await client.get(path, params={"limit": 101}, headers=caller.headers), 400)
    response = await client.get("/api/v1/requests", params={"limit": 0}, headers=citizen.headers)
    assert 400 <= response.status_code < 500


async def test_garbage_cursor_is_a_4xx_problem(client: Client, make_citizen: MakeCitizen) -> None:
    citizen = await make_citizen()
    response = await client.get(
        "/api/v1/requests", params={"cursor": "not-a-cursor!!"}, headers=citizen.headers
    )
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


async def test_others_request_is_404_like_a_missing_one(
    client: Client, make_citizen: MakeCitizen, make_staff: MakeStaff
) -> None:
    owner = await make_citizen()
    stranger = await make_citizen()
    wrong_department = await make_staff("clerk", ["verkehr"])
    created = await file_request(client, owner)
    rid = created["id"]
    missing = "00000000-0000-4000-8000-000000000000"
    for caller in (stranger, wrong_department):
        for suffix in ("", "/events", "/transitions"):
            seen = await client.get(f"/api/v1/requests/{rid}{suffix}", headers=caller.headers)
            none = await client.get(f"/api/v1/requests/{missing}{suffix}", headers=caller.headers)
            assert seen.status_code == none.status_code == 404, (suffix, seen.text)
            assert seen.json()["type"] == none.json()["type"]
        response = await client.post(
            f"/api/v1/requests/{rid}/comments",
            json={"body": "Hallo", "visibility": "public"},
            headers=caller.headers,
        )
        assert_problem(response, 404)
        response = await client.post(
            f"/api/v1/requests/{rid}/transitions",
            json={"transition": "withdraw"},
            headers={**caller.headers, "If-Match": f'"{created["version"]}"'},
        )
        assert_problem(response, 404)


async def test_idempotency_key_replays_rejects_other_body(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    headers = {**citizen.headers, "Idempotency-Key": "contract-key-1"}
    body = filing("hundeanmeldung")
    first = await client.post("/api/v1/requests", json=body, headers=headers)
    again = await client.post("/api/v1/requests", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.headers["location"] == again.headers["location"]
    other = filing("hundeanmeldung", submit=False)
    assert_problem(await client.post("/api/v1/requests", json=other, headers=headers), 422)
    listed = (await client.get("/api/v1/requests", headers=citizen.headers)).json()
    assert len(listed["items"]) == 1
    # Another caller with the same key is a different request.
    someone = await make_citizen()
    theirs = await client.post(
        "/api/v1/requests",
        json=body,
        headers={**someone.headers, "Idempotency-Key": "contract-key-1"},
    )
    assert theirs.status_code == 201
    assert theirs.json()["id"] != first.json()["id"]


async def test_idempotency_key_longer_than_255_is_rejected(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    headers = {**citizen.headers, "Idempotency-Key": "k" * 256}
    response = await client.post("/api/v1/requests", json=filing("hundeanmeldung"), headers=headers)
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)
    ok = {**citizen.headers, "Idempotency-Key": "k" * 255}
    assert (
        await client.post("/api/v1/requests", json=filing("hundeanmeldung"), headers=ok)
    ).status_code == 201


async def test_concurrent_same_key_creates_one_request(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    headers = {**citizen.headers, "Idempotency-Key": "contract-race"}
    body = filing("hundeanmeldung")
    answers = await asyncio.gather(
        *(client.post("/api/v1/requests", json=body, headers=headers) for _ in range(4))
    )
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, statuses
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    listed = (await client.get("/api/v1/requests", headers=citizen.headers)).json()
    assert len(listed["items"]) == 1


async def test_every_json_body_rejects_unknown_fields_with_pointer(
    client: Client,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    make_api_client: MakeApiClient,
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["steuern"])
    manager = await make_api_client(["subscriptions:manage"])
    draft = await file_request(client, citizen, submit=False)
    filed = await file_request(client, citizen)
    base = "/api/v1/requests"
    calls: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
        (
            "post",
            "/api/v1/auth/register",
            {"email": "a@example.org", "password": "p" * 12, "display_name": "A"},
            {},
        ),
        ("post", "/api/v1/auth/verify-email", {"token": "t"}, {}),
        ("post", "/api/v1/auth/password-reset", {"email": "a@example.org"}, {}),
        ("post", "/api/v1/auth/password-reset/confirm", {"token": "t", "password": "p" * 12}, {}),
        (
            "patch",
            f"{base}/{draft['id']}",
            {"data": {}},
            {**citizen.headers, "If-Match": f'"{draft["version"]}"'},
        ),
        (
            "post",
            f"{base}/{filed['id']}/transitions",
            {"transition": "start_review"},
            {**clerk.headers, "If-Match": f'"{filed["version"]}"'},
        ),
        ("post", f"{base}/{filed['id']}/comments", {"body": "Hallo"}, clerk.headers),
        (
            "put",
            f"{base}/{filed['id']}/assignee",
            {"assignee_id": None},
            {**clerk.headers, "If-Match": f'"{filed["version"]}"'},
        ),
        (
            "post",
            "/api/v1/subscriptions",
            {"url": "https://example.org/hook", "events": ["request.submitted"]},
            manager.headers,
        ),
    ]
    for verb, path, body, headers in calls:
        response = await client.request(verb, path, json={**body, "owner": 1}, headers=headers)
        problem = assert_problem(response, 422)
        assert [e["pointer"] for e in problem["errors"]] == ["/owner"], (verb, path)


async def test_same_key_while_the_first_is_running_is_409(
    client: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    key = "still-running"
    lock = advisory_lock_id(caller_key("citizen", citizen.id), key)
    headers = {**citizen.headers, "Idempotency-Key": key}
    async with raw_connection.transaction():
        # Holding the key's lock is what a first call does while it runs.
        await raw_connection.execute("SELECT pg_advisory_xact_lock($1)", lock)
        busy = await client.post("/api/v1/requests", json=filing("hundeanmeldung"), headers=headers)
        assert_problem(busy, 409)
    done = await client.post("/api/v1/requests", json=filing("hundeanmeldung"), headers=headers)
    assert done.status_code == 201
