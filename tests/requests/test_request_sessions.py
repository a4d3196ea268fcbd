"""Through the HTTP API: each request's transaction ends with it, whatever the answer.

Request sessions are used again by later requests (core.db.RequestSessions) and check their
connection out themselves; a request that fails after its first statements must leave neither
rows nor a checked-out connection behind, and the requests after it must work as usual.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from tests.requests.helpers import Client, events, file_request, fire
from tests.support.auth import Caller


def _checked_out(app: Litestar) -> int:
    return int(app.state.engine.pool.checkedout())


async def test_failed_requests_leave_nothing_behind_and_later_ones_work(
    app: Litestar, client: Client, citizen: Caller, make_staff: Any
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    request = await file_request(client, citizen)  # hundeanmeldung, submitted
    history = await events(client, clerk, request["id"])
    assert _checked_out(app) == 0

    # Each of these reads the request through the driver, then fails before writing.
    stale = request["version"] + 7
    await fire(client, clerk, request, "start_review", version=stale, expect=412)
    await fire(client, clerk, request, "provide_info", expect=409)  # not from "submitted"
    await fire(client, citizen, request, "start_review", expect=403)  # not the citizen's move
    assert _checked_out(app) == 0

    read = await client.get(f"/api/v1/requests/{request['id']}", headers=clerk.headers)
    assert read.status_code == 200
    assert read.json()["version"] == request["version"]
    assert read.json()["state"] == "submitted"
    assert await events(client, clerk, request["id"]) == history

    started = await fire(client, clerk, request, "start_review")
    assert started["state"] == "in_review"
    assert started["version"] == request["version"] + 1
    assert [e["type"] for e in await events(client, clerk, request["id"])][-1] == "transitioned"
    assert _checked_out(app) == 0
