"""Filing requests: validation against the pinned form, location rules, drafts, who may file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from eservice.requests.references import REFERENCE_RE
from tests.requests.helpers import LOCATION, Client, example, file_request, filing
from tests.support.auth import Caller


async def _count(conn: asyncpg.Connection, table: str) -> int:
    value: int = await conn.fetchval(f"SELECT count(*) FROM {table}")
    return value


async def test_citizen_files_request_with_reference_department_and_due_date(
    client: Client, citizen: Caller
) -> None:
    response = await client.post(
        "/api/v1/requests", json=filing("hundeanmeldung"), headers=citizen.headers
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/api/v1/requests/{body['id']}"
    assert response.headers["etag"] == f'"{body["version"]}"'
    assert REFERENCE_RE.match(body["reference"])
    assert body["reference"].startswith(f"HL-{datetime.now(UTC).year}-")
    assert body["service"] == {"code": "hundeanmeldung", "version": 1}
    assert body["department"] == "steuern"
    assert body["state"] == "submitted"
    assert body["state_label"] == "Eingegangen"
    assert body["due_at"] is not None
    assert body["submitted_at"] is not None
    assert "assignee" not in body  # staff-only field
    again = await client.get(f"/api/v1/requests/{body['id']}", headers=citizen.headers)
    assert again.status_code == 200
    assert again.json()["reference"] == body["reference"]
    assert again.headers["etag"] == f'"{body["version"]}"'


async def test_english_speaking_citizen_gets_english_labels(
    client: Client, make_citizen: Any
) -> None:
    english = await make_citizen(locale="en")
    body = await file_request(client, english)
    assert body["state_label"] == "Submitted"


async def test_server_owned_fields_in_body_are_refused_and_nothing_stored(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    for field, value in (("state", "approved"), ("assignee", None), ("department", "tiefbau")):
        body = {**filing("hundeanmeldung"), field: value}
        response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
        assert response.status_code == 422, field
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await _count(raw_connection, "requests") == 0


async def test_invalid_form_data_is_422_with_pointers_and_nothing_stored(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    data = example("hundeanmeldung")
    data["chipnummer"] = "12"
    del data["hund_name"]
    data["unexpected"] = "x"
    response = await client.post(
        "/api/v1/requests",
        json={"service": "hundeanmeldung", "data": data},
        headers=citizen.headers,
    )
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert {"/data/chipnummer", "/data/hund_name", "/data/unexpected"} <= pointers
    assert await _count(raw_connection, "requests") == 0
    assert await _count(raw_connection, "outbox") == 0


async def test_unknown_service_is_422_on_service(client: Client, citizen: Caller) -> None:
    response = await client.post(
        "/api/v1/requests", json={"service": "nope", "data": {}}, headers=citizen.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/service"


async def test_location_rules_of_the_service_are_enforced(client: Client, citizen: Caller) -> None:
    missing = filing("strassenschaden")
    del missing["location"]
    response = await client.post("/api/v1/requests", json=missing, headers=citizen.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/location"
    unwanted = {**filing("hundeanmeldung"), "location": LOCATION}
    response = await client.post("/api/v1/requests", json=unwanted, headers=citizen.headers)
    assert response.status_code == 422
    bad = {**filing("strassenschaden"), "location": {"lat": 123, "lon": 10}}
    response = await client.post("/api/v1/requests", json=bad, headers=citizen.headers)
    assert response.status_code == 422
    ok = await file_request(client, citizen, "strassenschaden")
    assert ok["location"]["lat"] == LOCATION["lat"]


async def test_draft_is_editable_by_patch_until_submitted(client: Client, citizen: Caller) -> None:
    draft = await file_request(client, citizen, "meldebescheinigung", submit=False)
    assert draft["state"] == "draft"
    assert draft["due_at"] is None
    url = f"/api/v1/requests/{draft['id']}"
    changed = {**example("meldebescheinigung"), "anzahl": 3}
    no_match = await client.patch(url, json={"data": changed}, headers=citizen.headers)
    assert no_match.status_code == 428
    response = await client.patch(
        url, json={"data": changed}, headers={**citizen.headers, "If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["anzahl"] == 3
    assert response.json()["version"] == 2
    stale = await client.patch(
        url, json={"data": changed}, headers={**citizen.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    invalid = await client.patch(
        url, json={"data": {"anzahl": "x"}}, headers={**citizen.headers, "If-Match": '"2"'}
    )
    assert invalid.status_code == 422
    owned = await client.patch(
        url, json={"state": "issued"}, headers={**citizen.headers, "If-Match": '"2"'}
    )
    assert owned.status_code == 422
    submitted = await client.post(
        f"{url}/transitions",
        json={"transition": "submit"},
        headers={**citizen.headers, "If-Match": '"2"'},
    )
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"
    late = await client.patch(
        url, json={"data": changed}, headers={**citizen.headers, "If-Match": '"3"'}
    )
    assert late.status_code == 409


async def test_someone_elses_request_is_404_everywhere(
    client: Client, citizen: Caller, other_citizen: Caller, make_staff: Any
) -> None:
    request = await file_request(client, citizen)
    url = f"/api/v1/requests/{request['id']}"
    other_department = await make_staff("clerk", departments=("verkehr",))
    for caller in (other_citizen, other_department):
        assert (await client.get(url, headers=caller.headers)).status_code == 404
        assert (await client.get(f"{url}/events", headers=caller.headers)).status_code == 404
        assert (await client.get(f"{url}/transitions", headers=caller.headers)).status_code == 404
        fired = await client.post(
            f"{url}/transitions",
            json={"transition": "withdraw"},
            headers={**caller.headers, "If-Match": '"2"'},
        )
        assert fired.status_code == 404
        comment = await client.post(f"{url}/comments", json={"body": "hi"}, headers=caller.headers)
        assert comment.status_code == 404
    missing = await client.get(
        "/api/v1/requests/00000000-0000-0000-0000-000000000000", headers=citizen.headers
    )
    assert missing.status_code == 404


async def test_staff_do_not_see_drafts(client: Client, citizen: Caller, make_staff: Any) -> None:
    draft = await file_request(client, citizen, submit=False)
    clerk = await make_staff("clerk", departments=("steuern",))
    response = await client.get(f"/api/v1/requests/{draft['id']}", headers=clerk.headers)
    assert response.status_code == 404


async def test_unverified_citizen_and_staff_may_not_file(
    client: Client, make_citizen: Any, make_staff: Any
) -> None:
    unverified = await make_citizen(verified=False)
    response = await client.post(
        "/api/v1/requests", json=filing("hundeanmeldung"), headers=unverified.headers
    )
    assert response.status_code == 403
    clerk = await make_staff("clerk", departments=("steuern",))
    response = await client.post(
        "/api/v1/requests", json=filing("hundeanmeldung"), headers=clerk.headers
    )
    assert response.status_code == 403
    anonymous = await client.post("/api/v1/requests", json=filing("hundeanmeldung"))
    assert anonymous.status_code == 401


async def test_client_files_on_a_citizens_behalf_within_its_scope(
    client: Client, citizen: Caller, make_api_client: Any
) -> None:
    portal = await make_api_client(["requests:write"], services=["hundeanmeldung"])
    body = filing("hundeanmeldung", applicant_id=str(citizen.id))
    response = await client.post("/api/v1/requests", json=body, headers=portal.headers)
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]
    seen = await client.get(f"/api/v1/requests/{request_id}", headers=citizen.headers)
    assert seen.status_code == 200
    by_portal = await client.get(f"/api/v1/requests/{request_id}", headers=portal.headers)
    assert by_portal.status_code == 200
    other_service = await client.post(
        "/api/v1/requests", json=filing("meldebescheinigung"), headers=portal.headers
    )
    assert other_service.status_code == 403
    nobody = filing("hundeanmeldung", applicant_id="00000000-0000-0000-0000-000000000001")
    unknown = await client.post("/api/v1/requests", json=nobody, headers=portal.headers)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "/applicant_id"
    reader = await make_api_client(["requests:read"])
    refused = await client.post(
        "/api/v1/requests", json=filing("hundeanmeldung"), headers=reader.headers
    )
    assert refused.status_code == 403


async def test_citizen_may_not_file_for_someone_else(
    client: Client, citizen: Caller, other_citizen: Caller
) -> None:
    body = filing("hundeanmeldung", applicant_id=str(other_citizen.id))
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/applicant_id"


async def test_permit_cannot_be_submitted_without_its_required_document(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    response = await client.post(
        "/api/v1/requests", json=filing("bewohnerparkausweis"), headers=citizen.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/documents/fahrzeugschein"
    assert await _count(raw_connection, "requests") == 0
    draft = await file_request(client, citizen, "bewohnerparkausweis", submit=False)
    submit = await client.post(
        f"/api/v1/requests/{draft['id']}/transitions",
        json={"transition": "submit"},
        headers={**citizen.headers, "If-Match": '"1"'},
    )
    assert submit.status_code == 422
    assert "fahrzeugschein" in submit.json()["detail"]
