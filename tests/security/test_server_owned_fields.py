"""No body can set what the server owns: state, assignee, department, version, times, ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.requests.helpers import file_request, filing
from tests.support.auth import Caller

Client = AsyncTestClient[Litestar]
OWNED: dict[str, Any] = {
    "id": "00000000-0000-0000-0000-000000000001",
    "reference": "HL-2026-AAAAAAAA",
    "state": "approved",
    "assignee": None,
    "assignee_id": "00000000-0000-0000-0000-000000000002",
    "department": "tiefbau",
    "version": 99,
    "created_at": "2020-01-01T00:00:00Z",
    "updated_at": "2020-01-01T00:00:00Z",
    "submitted_at": "2020-01-01T00:00:00Z",
    "closed_at": "2020-01-01T00:00:00Z",
    "due_at": "2020-01-01T00:00:00Z",
    "priority": 9,
    "applicant": "00000000-0000-0000-0000-000000000003",
    "actor": {"role": "system"},
    "secret": "chosen-by-the-caller",
}


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, (field, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_filing_refuses_every_server_owned_field(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    for field, value in OWNED.items():
        body = {**filing("hundeanmeldung"), field: value}
        _refused(await client.post("/api/v1/requests", json=body, headers=citizen.headers), field)
    assert await raw_connection.fetchval("SELECT count(*) FROM requests") == 0


async def test_draft_patch_refuses_every_server_owned_field(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    draft = await file_request(client, citizen, submit=False)
    url = f"/api/v1/requests/{draft['id']}"
    headers = {**citizen.headers, "If-Match": f'"{draft["version"]}"'}
    for field, value in OWNED.items():
        response = await client.patch(url, json={field: value}, headers=headers)
        _refused(response, field)
    row = await raw_connection.fetchrow(
        "SELECT state, version, department, assignee_id FROM requests WHERE id = $1",
        draft["id"],
    )
    assert dict(row) == {
        "state": "draft",
        "version": draft["version"],
        "department": "steuern",
        "assignee_id": None,
    }


async def test_comments_transitions_and_assignee_refuse_server_owned_fields(
    client: Client, citizen: Caller, make_staff: Any
) -> None:
    request = await file_request(client, citizen)
    url = f"/api/v1/requests/{request['id']}"
    clerk = await make_staff("clerk", departments=("steuern",))
    if_match = {**clerk.headers, "If-Match": f'"{request["version"]}"'}
    for field, value in OWNED.items():
        comment = {"body": "Hallo", field: value}
        _refused(await client.post(f"{url}/comments", json=comment, headers=citizen.headers), field)
        if field != "assignee_id":
            assignee = {"assignee_id": None, field: value}
            _refused(await client.put(f"{url}/assignee", json=assignee, headers=if_match), field)
        fired = {"transition": "withdraw", field: value}
        _refused(
            await client.post(
                f"{url}/transitions",
                json=fired,
                headers={**citizen.headers, "If-Match": f'"{request["version"]}"'},
            ),
            field,
        )
    unchanged = await client.get(url, headers=citizen.headers)
    assert unchanged.json()["version"] == request["version"]
    assert unchanged.json()["state"] == request["state"]


async def test_subscriptions_refuse_server_owned_fields(
    client_with: Callable[..., Client],
    make_api_client: Any,
    raw_connection: asyncpg.Connection,
) -> None:
    integration = await make_api_client(["subscriptions:manage", "requests:read"])
    base = {"url": "http://127.0.0.1:9/eservice", "events": ["request.submitted"]}
    async with client_with(webhook_allow_hosts="127.0.0.1:9") as api:
        for field in ("id", "secret", "created_at", "owner", "client_id", "active", "state"):
            body = {**base, field: OWNED.get(field, "x")}
            response = await api.post(
                "/api/v1/subscriptions", json=body, headers=integration.headers
            )
            _refused(response, field)
        assert await raw_connection.fetchval("SELECT count(*) FROM webhook_subscriptions") == 0
        control = await api.post("/api/v1/subscriptions", json=base, headers=integration.headers)
    assert control.status_code == 201, control.text
