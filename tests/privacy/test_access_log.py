"""GET /api/v1/requests/{id}/access-log: the applicant sees which departments, roles and API
clients read or changed their request, folded per person, and never a staff member's name."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from tests.requests.helpers import Client, file_request, fire
from tests.support.auth import Caller, MakeApiClient, MakeStaff


async def test_the_applicant_sees_departments_roles_and_clients_never_names(
    client: Client,
    citizen: Caller,
    other_citizen: Caller,
    make_staff: MakeStaff,
    make_api_client: MakeApiClient,
    raw_connection: asyncpg.Connection,
) -> None:
    request = await file_request(client, citizen, "bewohnerparkausweis", submit=False)
    await raw_connection.execute(
        "INSERT INTO attachments (id, request_id, kind, filename, content_type, size, sha256, "
        "storage_key, visibility, uploaded_by, uploader_kind) VALUES (gen_random_uuid(), $1, "
        "'fahrzeugschein', 'f.pdf', 'application/pdf', 1, repeat('a', 64), 'k', 'public', $2, "
        "'citizen')",
        UUID(request["id"]),
        citizen.id,
    )
    request = await fire(client, citizen, request, "submit")
    clerk = await make_staff("clerk")
    supervisor = await make_staff("supervisor")
    integration = await make_api_client(["requests:read"])
    path = f"/api/v1/requests/{request['id']}"
    for caller in (clerk, clerk):
        assert (await client.get(path, headers=caller.headers)).status_code == 200
    assert (await client.get("/api/v1/queues/verkehr/requests", headers=clerk.headers)).is_success
    await fire(client, clerk, request, "start_review")
    assert (await client.get(path, headers=supervisor.headers)).status_code == 200
    assert (await client.get(path, headers=integration.headers)).status_code == 200
    assert (await client.get(path, headers=citizen.headers)).status_code == 200

    response = await client.get(f"{path}/access-log", headers=citizen.headers)

    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    summary = [(i["activity"], i["actor"], i["department"], i["role"], i["client"]) for i in items]
    assert summary == [
        ("read", "client", None, None, "Test integration"),
        ("read", "staff", "verkehr", "supervisor", None),
        ("changed", "staff", "verkehr", "clerk", None),
        ("read", "staff", "verkehr", "clerk", None),
    ]
    clerk_reads = items[-1]
    assert clerk_reads["count"] == 3
    assert clerk_reads["actions"] == ["read", "list"]
    assert items[2]["actions"] == ["start_review"]
    text = response.text
    assert "Test clerk" not in text
    assert "Test supervisor" not in text
    assert str(clerk.id) not in text
    assert clerk.email is not None
    assert clerk.email not in text

    assert (await client.get(f"{path}/access-log", headers=clerk.headers)).status_code == 403
    hidden = await client.get(f"{path}/access-log", headers=other_citizen.headers)
    assert hidden.status_code == 404


async def test_reads_far_apart_are_separate_entries(
    client: Client, citizen: Caller, make_staff: MakeStaff, raw_connection: asyncpg.Connection
) -> None:
    request = await file_request(client, citizen, "hundeanmeldung")
    clerk = await make_staff("clerk", departments=("steuern",))
    path = f"/api/v1/requests/{request['id']}"
    assert (await client.get(path, headers=clerk.headers)).status_code == 200
    await raw_connection.execute(
        "INSERT INTO request_access_log (request_id, staff_id, action, actor_kind, actor_role, "
        "accessed_at) VALUES ($1, $2, 'read', 'staff', 'clerk', now() - interval '1 hour')",
        UUID(request["id"]),
        clerk.id,
    )
    items = (await client.get(f"{path}/access-log", headers=citizen.headers)).json()["items"]
    assert [i["count"] for i in items] == [1, 1]
