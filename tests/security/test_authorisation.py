"""Object-level authorisation: whoever may not see a request gets 404 on every path to it."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.attachments.conftest import png_bytes
from tests.requests.helpers import file_request, fire
from tests.support.auth import Caller

Client = AsyncTestClient[Litestar]


async def _road_damage_with_photo(client: Client, citizen: Caller) -> tuple[dict[str, Any], str]:
    """A submitted ``tiefbau`` request of ``citizen`` with one photo attached."""
    draft = await file_request(client, citizen, "strassenschaden", submit=False)
    uploaded = await client.post(
        f"/api/v1/requests/{draft['id']}/attachments",
        files={"file": ("schaden.png", png_bytes(), "image/png")},
        data={"kind": "foto"},
        headers=citizen.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    submitted = await fire(client, citizen, draft, "submit")
    return submitted, uploaded.json()["id"]


async def _assert_invisible(
    client: Client, caller: Caller, request: dict[str, Any], attachment_id: str
) -> None:
    url = f"/api/v1/requests/{request['id']}"
    if_match = {**caller.headers, "If-Match": f'"{request["version"]}"'}
    attempts = [
        await client.get(url, headers=caller.headers),
        await client.patch(url, json={"data": request["data"]}, headers=if_match),
        await client.get(f"{url}/events", headers=caller.headers),
        await client.get(f"{url}/transitions", headers=caller.headers),
        await client.post(
            f"{url}/transitions", json={"transition": "start_work"}, headers=if_match
        ),
        await client.post(f"{url}/comments", json={"body": "Hallo"}, headers=caller.headers),
        await client.put(f"{url}/assignee", json={"assignee_id": None}, headers=if_match),
        await client.get(f"{url}/attachments", headers=caller.headers),
        await client.get(f"{url}/attachments/{attachment_id}", headers=caller.headers),
        await client.post(
            f"{url}/attachments",
            files={"file": ("x.png", png_bytes(), "image/png")},
            data={"kind": "foto"},
            headers=caller.headers,
        ),
    ]
    statuses = [r.status_code for r in attempts]
    assert statuses == [404] * len(attempts), statuses
    for response in attempts:
        assert request["reference"] not in response.text
    for query in (f"q={request['reference']}", "service=strassenschaden", "limit=100"):
        listed = await client.get(f"/api/v1/requests?{query}", headers=caller.headers)
        assert listed.status_code == 200, listed.text
        assert request["id"] not in listed.text, query


async def test_another_citizen_gets_404_on_every_path_and_nothing_in_lists(
    client: Client, citizen: Caller, other_citizen: Caller
) -> None:
    request, attachment_id = await _road_damage_with_photo(client, citizen)
    await _assert_invisible(client, other_citizen, request, attachment_id)
    inbox = await client.get("/api/v1/me/notifications", headers=other_citizen.headers)
    assert inbox.status_code == 200
    assert request["reference"] not in inbox.text


async def test_a_clerk_of_another_department_gets_404_everywhere(
    client: Client, citizen: Caller, make_staff: Any
) -> None:
    request, attachment_id = await _road_damage_with_photo(client, citizen)
    traffic_clerk = await make_staff("clerk", departments=("verkehr",))
    traffic_supervisor = await make_staff("supervisor", departments=("verkehr",))
    for caller in (traffic_clerk, traffic_supervisor):
        await _assert_invisible(client, caller, request, attachment_id)
        queue = await client.get("/api/v1/queues/tiefbau/requests", headers=caller.headers)
        assert queue.status_code == 404
        claim = await client.post("/api/v1/queues/tiefbau/claim", headers=caller.headers)
        assert claim.status_code == 404
    roads_clerk = await make_staff("clerk", departments=("tiefbau",))
    seen = await client.get(f"/api/v1/requests/{request['id']}", headers=roads_clerk.headers)
    assert seen.status_code == 200


async def test_a_client_restricted_to_other_services_gets_404_everywhere(
    client: Client, citizen: Caller, make_api_client: Any
) -> None:
    request, attachment_id = await _road_damage_with_photo(client, citizen)
    parking = await make_api_client(
        ["requests:read", "requests:write", "requests:transition"], services=["bewohnerparkausweis"]
    )
    await _assert_invisible(client, parking, request, attachment_id)
    roads_reader = await make_api_client(["requests:read"], services=["strassenschaden"])
    seen = await client.get(f"/api/v1/requests/{request['id']}", headers=roads_reader.headers)
    assert seen.status_code == 200


async def test_who_may_see_but_not_fire_gets_403(
    client: Client, citizen: Caller, make_api_client: Any
) -> None:
    request, _ = await _road_damage_with_photo(client, citizen)
    url = f"/api/v1/requests/{request['id']}"
    reader = await make_api_client(["requests:read"], services=["strassenschaden"])
    for caller in (citizen, reader):
        fired = await client.post(
            f"{url}/transitions",
            json={"transition": "start_work"},
            headers={**caller.headers, "If-Match": f'"{request["version"]}"'},
        )
        assert fired.status_code == 403, fired.text
    reader_comment = await client.post(
        f"{url}/comments", json={"body": "Hallo"}, headers=reader.headers
    )
    assert reader_comment.status_code == 403
    internal = await client.post(
        f"{url}/comments", json={"body": "Notiz", "visibility": "internal"}, headers=citizen.headers
    )
    assert internal.status_code == 403
    claim = await client.post("/api/v1/queues/tiefbau/claim", headers=citizen.headers)
    assert claim.status_code in (403, 404)
