"""The hot endpoints resolve their dependencies one at a time (core.deps: one chain).

Litestar resolves dependencies of the same level concurrently in an anyio task group, which
costs more per request than the work it parallelises; the chain keeps every level single.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar._kwargs import kwargs_model

from tests.requests.helpers import Client, file_request, fire
from tests.support.auth import Caller


def _no_task_group() -> Any:
    raise AssertionError("a request resolved two dependencies of one level concurrently")


async def test_filing_transitions_and_reads_need_no_task_group(
    client: Client, citizen: Caller, make_staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    monkeypatch.setattr(kwargs_model, "create_task_group", _no_task_group)
    request = await file_request(client, citizen, "hundeanmeldung")
    request = await fire(client, clerk, request, "start_review")
    for caller in (citizen, clerk):
        read = await client.get(f"/api/v1/requests/{request['id']}", headers=caller.headers)
        assert read.status_code == 200, read.text
    queue = await client.get("/api/v1/queues/steuern/requests", headers=clerk.headers)
    assert queue.status_code == 200, queue.text
    claimed = await client.post("/api/v1/queues/steuern/claim", headers=clerk.headers)
    assert claimed.status_code in (200, 204), claimed.text


async def test_a_list_query_is_checked_after_authentication(client: Client) -> None:
    for path in ("/api/v1/requests", "/api/v1/queues/steuern/requests"):
        anonymous = await client.get(path, params={"limit": "100000", "sort": "nonsense"})
        assert anonymous.status_code == 401, anonymous.text
