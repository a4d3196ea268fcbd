"""A workflow transition that requires a document reads the request's attachments end to end
(the catalogue with such a transition: tests.support.document_workflow)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.requests.helpers import Client, attach_pdf, example, fire
from tests.support.auth import Caller
from tests.support.document_workflow import SERVICE, documents_on_approve

__all__ = ["documents_on_approve"]  # the fixture, used by name


@pytest.mark.usefixtures("documents_on_approve")
async def test_approve_needs_the_document_its_transition_requires(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    clerk = await make_staff("clerk", departments=("verkehr",))
    body = {"service": SERVICE, "data": example("bewohnerparkausweis"), "submit": False}
    filed = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["id"]
    await attach_pdf(client, citizen, request_id, "fahrzeugschein")
    request = await client.get(f"/api/v1/requests/{request_id}", headers=citizen.headers)
    request = await fire(client, citizen, request.json(), "submit")
    request = await fire(client, clerk, request, "start_review")

    refused = await fire(client, clerk, request, "approve", expect=422)
    assert [e["pointer"] for e in refused["errors"]] == ["/documents/bescheid"]

    asked = await fire(client, clerk, request, "request_info", comment="Bitte Bescheid hochladen.")
    assert await raw_connection.fetchval("SELECT count(*) FROM request_timers") == 1
    await attach_pdf(client, citizen, request_id, "bescheid")
    provided = await fire(client, citizen, asked, "provide_info")
    # awaiting_info declares a timer: leaving it cancels the row; in_review has none to cancel
    assert await raw_connection.fetchval("SELECT count(*) FROM request_timers") == 0
    approved = await fire(client, clerk, provided, "approve")
    assert approved["state"] == "approved"
