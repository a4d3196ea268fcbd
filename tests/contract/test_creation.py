"""api.md "General": every POST that creates something honours Idempotency-Key; filing rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.contract.helpers import FORM, Client, assert_problem
from tests.notifications.peers import WebhookReceiver
from tests.requests.helpers import example, file_request, filing
from tests.support.auth import Caller, MakeApiClient, MakeCitizen, MakeStaff


async def _replays(
    client: Client,
    path: str,
    caller_headers: dict[str, str],
    body: dict[str, Any],
    other: dict[str, Any],
    id_of: Callable[[dict[str, Any]], Any],
) -> None:
    headers = {**caller_headers, "Idempotency-Key": f"key-{path}"}
    first = await client.post(path, json=body, headers=headers)
    again = await client.post(path, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert again.status_code == 201, again.text
    assert id_of(first.json()) == id_of(again.json())
    assert_problem(await client.post(path, json=other, headers=headers), 422)


async def test_register_honours_idempotency_key(client: Client) -> None:
    body = {"email": "paul@example.org", "password": "Travemuende-1802", "display_name": "Paul"}
    # Anonymous callers are told apart by the email (see docs/contract-notes.md).
    other = {**body, "display_name": "Paula"}
    await _replays(client, "/api/v1/auth/register", {}, body, other, lambda b: b["id"])


async def test_comment_honours_idempotency_key(client: Client, make_citizen: MakeCitizen) -> None:
    citizen = await make_citizen()
    request = await file_request(client, citizen)
    path = f"/api/v1/requests/{request['id']}/comments"
    body = {"body": "Nachtrag: der Hund heißt Bello.", "visibility": "public"}
    other = {"body": "Etwas anderes", "visibility": "public"}
    await _replays(client, path, citizen.headers, body, other, lambda b: b["id"])
    history = await client.get(f"/api/v1/requests/{request['id']}/events", headers=citizen.headers)
    comments = [e for e in history.json()["items"] if "Bello" in str(e)]
    assert len(comments) == 1


async def test_subscription_honours_idempotency_key(
    api: Client, receiver: WebhookReceiver, make_api_client: MakeApiClient
) -> None:
    owner = await make_api_client(["subscriptions:manage"])
    body = {"url": f"{receiver.base_url}/a", "events": ["request.submitted"]}
    other = {"url": f"{receiver.base_url}/b", "events": ["request.submitted"]}
    await _replays(api, "/api/v1/subscriptions", owner.headers, body, other, lambda b: b["id"])
    listed = await api.get("/api/v1/subscriptions", headers=owner.headers)
    assert len(listed.json()["items"]) == 1


async def test_location_rules_of_the_service(client: Client, make_citizen: MakeCitizen) -> None:
    citizen = await make_citizen()
    body = filing("strassenschaden")
    del body["location"]
    problem = assert_problem(
        await client.post("/api/v1/requests", json=body, headers=citizen.headers), 422
    )
    assert "/location" in [e["pointer"] for e in problem["errors"]]
    outside = filing("strassenschaden", location={"lat": 123, "lon": 10})
    problem = assert_problem(
        await client.post("/api/v1/requests", json=outside, headers=citizen.headers), 422
    )
    assert [e["pointer"] for e in problem["errors"]] == ["/location/lat"], problem


async def test_unknown_service_is_a_4xx_problem(client: Client, make_citizen: MakeCitizen) -> None:
    citizen = await make_citizen()
    body = {"service": "gibt-es-nicht", "data": example("hundeanmeldung")}
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    assert response.status_code in (404, 422), response.text
    assert_problem(response, response.status_code)


async def test_staff_cannot_file_as_citizen(client: Client, make_staff: MakeStaff) -> None:
    clerk = await make_staff("clerk", ["steuern"])
    response = await client.post(
        "/api/v1/requests", json=filing("hundeanmeldung"), headers=clerk.headers
    )
    assert_problem(response, 403)


async def test_throttled_login_is_429_with_retry_after(
    client_with: Callable[..., Client], make_citizen: MakeCitizen
) -> None:
    citizen: Caller = await make_citizen()
    async with client_with(login_max_failures=2, login_window_seconds=60) as throttled:
        answers = []
        for _ in range(3):
            answers.append(
                await throttled.post(
                    "/api/v1/auth/token",
                    data={
                        "grant_type": "password",
                        "username": citizen.email,
                        "password": "x" * 12,
                    },
                    headers=FORM,
                )
            )
    assert [a.status_code for a in answers] == [400, 400, 429]
    assert int(answers[-1].headers["retry-after"]) >= 1
