"""A citizen files and follows a request to a final state on each shipped workflow."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.requests.helpers import (
    Client,
    attach_pdf,
    events,
    file_request,
    fire,
    outbox_types,
)
from tests.support.auth import Caller


async def _get(client: Client, caller: Caller, request_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/requests/{request_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_permit_from_draft_with_document_to_approval(
    client: Client,
    citizen: Caller,
    make_staff: Any,
    make_api_client: Any,
    raw_connection: asyncpg.Connection,
) -> None:
    clerk = await make_staff("clerk", departments=("verkehr",))
    payments = await make_api_client(["requests:transition"], services=["bewohnerparkausweis"])
    draft = await file_request(client, citizen, "bewohnerparkausweis", submit=False)
    await attach_pdf(client, citizen, draft["id"], "fahrzeugschein")
    request = await _get(client, citizen, draft["id"])
    request = await fire(client, citizen, request, "submit")
    assert request["state"] == "submitted"
    assert request["due_at"] is not None
    request = await fire(client, clerk, await _get(client, clerk, draft["id"]), "start_review")
    await fire(client, clerk, request, "request_info", expect=422)
    request = await fire(
        client, clerk, request, "request_info", comment="Bitte Fahrzeugschein Rückseite."
    )
    assert request["state"] == "awaiting_info"
    assert request["sla_state"] == "paused"
    request = await fire(client, citizen, request, "provide_info")
    assert request["sla_state"] == "runs"
    request = await fire(client, clerk, request, "request_fee")
    request = await fire(client, payments, request, "mark_paid")
    assert request["state"] == "in_review"
    request = await fire(client, clerk, request, "approve")
    assert request["state"] == "approved"
    assert request["closed_at"] is not None
    assert request["sla_state"] == "stopped"

    followed = await _get(client, citizen, draft["id"])
    assert followed["state"] == "approved"
    assert followed["state_label"] == "Genehmigt"
    history = await events(client, citizen, draft["id"])
    transitions = [e["transition"] for e in history if e["transition"]]
    assert transitions == [
        "submit",
        "start_review",
        "request_info",
        "provide_info",
        "request_fee",
        "mark_paid",
        "approve",
    ]
    assert history[0]["type"] == "filed"
    assert any(e["type"] == "attachment_added" for e in history)
    info = next(e for e in history if e["transition"] == "request_info")
    assert info["comment"] == "Bitte Fahrzeugschein Rückseite."
    assert info["from_state"] == "in_review"
    assert info["to_state"] == "awaiting_info"
    assert [e["id"] for e in history] == sorted(e["id"] for e in history)
    published = await outbox_types(raw_connection, draft["id"])
    assert published.count("request.submitted") == 1
    assert published.count("request.transitioned") == 6
    assert published.count("request.attachment_added") == 1


@pytest.mark.parametrize(
    ("service", "department", "transitions", "final"),
    [
        ("hundeanmeldung", "steuern", ["start_review", "register"], "registered"),
        ("strassenschaden", "tiefbau", ["start_work", "order_repair", "mark_fixed"], "fixed"),
    ],
)
async def test_clerk_walks_a_request_to_its_final_state(
    client: Client,
    citizen: Caller,
    make_staff: Any,
    service: str,
    department: str,
    transitions: list[str],
    final: str,
) -> None:
    clerk = await make_staff("clerk", departments=(department,))
    request = await file_request(client, citizen, service)
    for transition in transitions:
        request = await fire(client, clerk, request, transition)
    assert request["state"] == final
    assert request["closed_at"] is not None
    assert (await _get(client, citizen, request["id"]))["state"] == final


async def test_certificate_is_issued_after_pickup(
    client: Client, citizen: Caller, make_staff: Any
) -> None:
    clerk = await make_staff("clerk", departments=("buergerservice",))
    request = await file_request(client, citizen, "meldebescheinigung")
    request = await fire(client, clerk, request, "start_processing")
    request = await fire(client, clerk, request, "ready_for_pickup")
    assert request["sla_state"] == "stopped"
    assert request["closed_at"] is None
    request = await fire(client, clerk, request, "hand_over")
    assert request["state"] == "issued"
    assert request["closed_at"] is not None
    assert (await _get(client, citizen, request["id"]))["state"] == "issued"


async def test_applicant_withdraws_and_nothing_more_is_possible(
    client: Client, citizen: Caller, make_staff: Any
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    request = await file_request(client, citizen, "hundeanmeldung")
    request = await fire(client, citizen, request, "withdraw")
    assert request["state"] == "withdrawn"
    listed = await client.get(
        f"/api/v1/requests/{request['id']}/transitions", headers=clerk.headers
    )
    assert listed.json() == []
    await fire(client, clerk, request, "start_review", expect=409)


async def test_transitions_list_what_the_caller_may_fire_now(
    client: Client, citizen: Caller, make_staff: Any
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    request = await file_request(client, citizen, "hundeanmeldung")
    url = f"/api/v1/requests/{request['id']}/transitions"
    mine = (await client.get(url, headers=citizen.headers)).json()
    assert [t["name"] for t in mine] == ["withdraw"]
    theirs = {t["name"]: t for t in (await client.get(url, headers=clerk.headers)).json()}
    assert {"start_review", "register", "reject"} <= theirs.keys()
    assert "withdraw" not in theirs
    assert theirs["reject"]["requires"]["comment"] is True
    assert theirs["reject"]["to"] == "rejected"
    assert theirs["start_review"]["label"] == "Prüfung beginnen"  # the clerk's locale: de


async def test_transition_status_codes(
    client: Client, citizen: Caller, make_staff: Any, make_api_client: Any
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    request = await file_request(client, citizen, "hundeanmeldung")
    url = f"/api/v1/requests/{request['id']}/transitions"
    no_match = await client.post(url, json={"transition": "start_review"}, headers=clerk.headers)
    assert no_match.status_code == 428
    await fire(client, clerk, request, "start_review", version=1, expect=412)
    await fire(client, clerk, request, "provide_info", expect=409)
    unknown = await fire(client, clerk, request, "teleport", expect=409)
    assert "start_review" in unknown["detail"]
    assert "start_review" in unknown["available"]
    await fire(client, citizen, request, "start_review", expect=403)
    reader = await make_api_client(["requests:read"])
    await fire(client, reader, request, "start_review", expect=403)
    missing = await fire(client, clerk, request, "reject", expect=422)
    assert missing["errors"][0]["pointer"] == "/comment"
    bad_body = await client.post(
        url,
        json={"transition": "start_review", "state": "registered"},
        headers={**clerk.headers, "If-Match": '"2"'},
    )
    assert bad_body.status_code == 422
    request = await fire(client, clerk, request, "start_review")
    assert request["version"] == 3


async def test_citizens_see_only_public_events_and_no_staff_fields(
    client: Client, citizen: Caller, make_staff: Any
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    request = await file_request(client, citizen, "hundeanmeldung")
    url = f"/api/v1/requests/{request['id']}"
    internal = await client.post(
        f"{url}/comments",
        json={"body": "Halter schon bekannt", "visibility": "internal"},
        headers=clerk.headers,
    )
    assert internal.status_code == 201
    public = await client.post(
        f"{url}/comments",
        json={"body": "Wir prüfen Ihren Antrag.", "visibility": "public"},
        headers=clerk.headers,
    )
    assert public.status_code == 201
    assigned = await client.put(
        f"{url}/assignee",
        json={"assignee_id": str(clerk.id)},
        headers={**clerk.headers, "If-Match": f'"{request["version"]}"'},
    )
    assert assigned.status_code == 200
    citizen_view = await events(client, citizen, request["id"])
    assert all(e["visibility"] == "public" for e in citizen_view)
    assert "Halter schon bekannt" not in str(citizen_view)
    assert not any(e["type"] == "assigned" for e in citizen_view)
    assert "Wir prüfen Ihren Antrag." in [e["comment"] for e in citizen_view]
    clerk_comment = next(e for e in citizen_view if e["type"] == "commented")
    assert "id" not in clerk_comment["actor"]
    assert "data" not in clerk_comment
    staff_view = await events(client, clerk, request["id"])
    assert {"assigned", "commented"} <= {e["type"] for e in staff_view}
    assert len(staff_view) == len(citizen_view) + 2
    body = await _get(client, citizen, request["id"])
    assert "assignee" not in body
    assert (await _get(client, clerk, request["id"]))["assignee"] == str(clerk.id)


async def test_citizen_may_not_write_internal_comments(client: Client, citizen: Caller) -> None:
    request = await file_request(client, citizen, "hundeanmeldung")
    url = f"/api/v1/requests/{request['id']}/comments"
    internal = await client.post(
        url, json={"body": "psst", "visibility": "internal"}, headers=citizen.headers
    )
    assert internal.status_code == 403
    public = await client.post(url, json={"body": "Eine Frage ..."}, headers=citizen.headers)
    assert public.status_code == 201
    assert public.json()["visibility"] == "public"
    empty = await client.post(url, json={"body": ""}, headers=citizen.headers)
    assert empty.status_code == 422


async def test_history_is_paginated_oldest_first(client: Client, citizen: Caller) -> None:
    request = await file_request(client, citizen, "hundeanmeldung")
    url = f"/api/v1/requests/{request['id']}"
    for n in range(5):
        response = await client.post(
            f"{url}/comments", json={"body": f"Nachricht {n}"}, headers=citizen.headers
        )
        assert response.status_code == 201
    seen: list[int] = []
    cursor = None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(f"{url}/events{query}", headers=citizen.headers)).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7
    assert seen == sorted(seen)
    too_big = await client.get(f"{url}/events?limit=101", headers=citizen.headers)
    assert too_big.status_code == 400
    garbled = await client.get(f"{url}/events?cursor=%%%garbage", headers=citizen.headers)
    assert garbled.status_code == 400
