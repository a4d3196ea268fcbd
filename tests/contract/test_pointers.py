"""A validation error points at the exact place in the body (RFC 6901), also inside nested
objects and arrays: the location of an unknown field is the field, not ``/<field>`` at the root."""

from __future__ import annotations

from typing import Any

from tests.contract.helpers import Client, assert_problem
from tests.notifications.peers import WebhookReceiver
from tests.requests.helpers import LOCATION, file_request, filing
from tests.support.auth import Caller, MakeApiClient, MakeCitizen, MakeStaff


def _pointers(response: Any) -> list[str]:
    body = assert_problem(response, 422)
    return [error["pointer"] for error in body["errors"]]


async def test_errors_inside_the_location_point_into_it(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()

    async def file(location: object) -> list[str]:
        body = filing("strassenschaden", location=location)
        return _pointers(await client.post("/api/v1/requests", json=body, headers=citizen.headers))

    assert await file({"type": "Point", **LOCATION}) == ["/location/type"]
    assert await file({"lon": 10.0}) == ["/location/lat"]
    assert await file({**LOCATION, "lat": 91}) == ["/location/lat"]
    assert await file({**LOCATION, "address": 5}) == ["/location/address"]


async def test_errors_in_a_draft_change_point_into_the_location(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen: Caller = await make_citizen()
    draft = await file_request(client, citizen, "strassenschaden", submit=False)
    response = await client.patch(
        f"/api/v1/requests/{draft['id']}",
        json={"location": {**LOCATION, "a/b~c": 1}},
        headers={**citizen.headers, "If-Match": f'"{draft["version"]}"'},
    )
    assert _pointers(response) == ["/location/a~1b~0c"]


async def test_form_data_errors_point_to_the_list_item(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    body = filing("sondernutzung")
    body["data"]["verkehrsflaeche"] = ["gehweg", "luftraum"]
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    assert "/data/verkehrsflaeche/1" in _pointers(response)


async def test_unknown_top_level_field_points_at_itself(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    body = {**filing("hundeanmeldung"), "state": "approved"}
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    assert _pointers(response) == ["/state"]


async def test_list_items_of_admin_and_subscription_bodies(
    api: Client,
    receiver: WebhookReceiver,
    make_staff: MakeStaff,
    make_api_client: MakeApiClient,
) -> None:
    admin = await make_staff("admin", [])
    staff = {
        "email": "new.clerk@example.org",
        "password": "correct horse battery staple",
        "roles": ["clerk"],
        "departments": ["verkehr", "x" * 65],
    }
    response = await api.post("/api/v1/admin/users", json=staff, headers=admin.headers)
    assert _pointers(response) == ["/departments/1"]

    integrator = await make_api_client(["subscriptions:manage"])
    hook = {"url": f"{receiver.base_url}/hook", "events": ["request.submitted", "nope"]}
    response = await api.post("/api/v1/subscriptions", json=hook, headers=integrator.headers)
    assert _pointers(response) == ["/events/1"]
