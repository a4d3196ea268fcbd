"""GDPR: every way staff read a request's personal data is recorded (who, when, which request)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.attachments.conftest import png_bytes
from tests.requests.helpers import file_request, fire
from tests.support.auth import Caller

Client = AsyncTestClient[Litestar]


async def test_every_staff_read_path_leaves_an_access_log_row(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    draft = await file_request(client, citizen, "strassenschaden", submit=False)
    uploaded = await client.post(
        f"/api/v1/requests/{draft['id']}/attachments",
        files={"file": ("schaden.png", png_bytes(), "image/png")},
        data={"kind": "foto"},
        headers=citizen.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    request = await fire(client, citizen, draft, "submit")
    url = f"/api/v1/requests/{request['id']}"
    for path in (url, f"{url}/events", f"{url}/attachments", f"{url}/attachments/"):
        own = path + uploaded.json()["id"] if path.endswith("/") else path
        assert (await client.get(own, headers=citizen.headers)).status_code == 200
    assert await raw_connection.fetchval("SELECT count(*) FROM request_access_log") == 0

    clerk = await make_staff("clerk", departments=("tiefbau",))
    reads = {
        url: 200,
        f"{url}/events": 200,
        f"{url}/attachments": 200,
        f"{url}/attachments/{uploaded.json()['id']}": 200,
        "/api/v1/requests?limit=10": 200,
        "/api/v1/queues/tiefbau/requests?limit=10": 200,
    }
    for path, status in reads.items():
        response = await client.get(path, headers=clerk.headers)
        assert response.status_code == status, (path, response.text)
    rows = await raw_connection.fetch(
        "SELECT request_id, staff_id, action, accessed_at FROM request_access_log ORDER BY id"
    )
    assert len(rows) == len(reads), [r["action"] for r in rows]
    assert {r["staff_id"] for r in rows} == {clerk.id}
    assert {r["request_id"] for r in rows} == {UUID(request["id"])}
    assert all(r["accessed_at"] is not None for r in rows)


async def test_a_refused_staff_read_is_not_recorded_as_an_access(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    request = await file_request(client, citizen, "strassenschaden")
    outsider = await make_staff("clerk", departments=("verkehr",))
    response = await client.get(f"/api/v1/requests/{request['id']}", headers=outsider.headers)
    assert response.status_code == 404
    assert await raw_connection.fetchval("SELECT count(*) FROM request_access_log") == 0
