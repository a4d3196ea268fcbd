"""Every list answers a cursor it did not hand out alike: 400, naming the ``cursor`` parameter.

One decoder (``eservice.core.pagination.decode_cursor``) type-checks the cursor's payload;
before it, five hand-written parsers answered 400 in some lists and 422 in others.
"""

from __future__ import annotations

import base64
from typing import Any

from litestar import Litestar

from tests.contract.helpers import Client, assert_problem
from tests.notifications.peers import WebhookReceiver
from tests.requests.helpers import file_request
from tests.support.auth import Caller, MakeApiClient, MakeCitizen, MakeStaff


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


UUID = "6f1c0b52-7c2e-4f4e-9a55-1d0c1c1f2b3a"
BAD_CURSORS = {
    "garbage": "not a cursor!!",
    "not base64 of JSON": _b64("hello"),
    "tampered (cut short)": _b64(f'["2026-01-01T00:00:00+00:00","{UUID}"')[:-3],
    "tampered (id not a uuid)": _b64('["2026-01-01T00:00:00+00:00","x"]'),
    "wrong type (booleans)": _b64("[true, false]"),
    "wrong type (object)": _b64('{"id": 5}'),
    "wrong length": _b64(f'[5, "2026-01-01T00:00:00+00:00", "{UUID}", 1]'),
    "too long": "A" * 1025,
}
# A well-formed cursor of the other shape: (time, id) lists get an integer, id lists a time.
OTHER_SHAPE = {
    "time": _b64("[5]"),
    "naive time": _b64(f'["2026-01-01T00:00:00","{UUID}"]'),
    "id": _b64(f'["2026-01-01T00:00:00+00:00","{UUID}"]'),
    "float id": _b64("[5.5]"),
}


def _assert_cursor_refused(response: Any) -> None:
    body = assert_problem(response, 400)
    assert [e["pointer"] for e in body["errors"]] == ["query:cursor"]


def _list_paths(app: Litestar) -> set[str]:
    """Every operation of the OpenAPI document that takes a ``cursor`` query parameter."""
    document = app.openapi_schema.to_schema()
    found = set()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            names = {p.get("name") for p in operation.get("parameters", [])}
            if "cursor" in names:
                found.add(path)
    return found


async def test_every_list_refuses_a_bad_cursor_with_one_400(
    api: Client,
    app: Litestar,
    receiver: WebhookReceiver,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    make_api_client: MakeApiClient,
) -> None:
    citizen = await make_citizen()
    admin = await make_staff("admin", [])
    clerk = await make_staff("clerk", ["steuern"])
    integrator = await make_api_client(["subscriptions:manage", "requests:read"])
    request = await file_request(api, citizen)
    hook = {"url": f"{receiver.base_url}/hook", "events": ["request.submitted"]}
    created = await api.post("/api/v1/subscriptions", json=hook, headers=integrator.headers)
    assert created.status_code == 201, created.text
    subscription = created.json()["id"]

    # path template -> (concrete path, caller, shape of its cursor)
    lists: dict[str, tuple[str, Caller | None, str]] = {
        "/api/v1/services": ("/api/v1/services", None, "time"),
        "/api/v1/admin/users": ("/api/v1/admin/users", admin, "time"),
        "/api/v1/admin/clients": ("/api/v1/admin/clients", admin, "time"),
        "/api/v1/requests": ("/api/v1/requests", citizen, "time"),
        "/api/v1/requests/{request_id}/events": (
            f"/api/v1/requests/{request['id']}/events",
            citizen,
            "id",
        ),
        "/api/v1/requests/{request_id}/attachments": (
            f"/api/v1/requests/{request['id']}/attachments",
            citizen,
            "time",
        ),
        "/api/v1/queues/{department}/requests": ("/api/v1/queues/steuern/requests", clerk, "time"),
        "/api/v1/me/notifications": ("/api/v1/me/notifications", citizen, "time"),
        "/api/v1/subscriptions": ("/api/v1/subscriptions", integrator, "time"),
        "/api/v1/subscriptions/{subscription_id}/deliveries": (
            f"/api/v1/subscriptions/{subscription}/deliveries",
            integrator,
            "id",
        ),
    }
    assert set(lists) == _list_paths(app), "a list without a cursor test"

    for path, caller, shape in lists.values():
        headers = caller.headers if caller else {}
        first = await api.get(path, headers=headers)
        assert first.status_code == 200, (path, first.text)
        cursors = dict(BAD_CURSORS)
        if shape == "time":
            cursors.update(wrong_shape=OTHER_SHAPE["time"])
            if path != "/api/v1/services":  # the catalogue's key is a service code
                cursors.update(naive_time=OTHER_SHAPE["naive time"])
        else:
            cursors.update(wrong_shape=OTHER_SHAPE["id"], float_id=OTHER_SHAPE["float id"])
        for name, cursor in cursors.items():
            response = await api.get(path, params={"cursor": cursor}, headers=headers)
            try:
                _assert_cursor_refused(response)
            except AssertionError as error:
                raise AssertionError(f"{path} with a {name} cursor: {response.text}") from error
