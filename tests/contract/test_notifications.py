"""api.md "Notifications and integration": inbox, subscriptions, signed thin webhooks."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from eservice.core.worker import Worker
from tests.contract.helpers import Client, assert_problem
from tests.notifications.helpers import run_until, scalar
from tests.notifications.peers import Received, Reply, WebhookReceiver
from tests.requests.helpers import file_request
from tests.support.auth import MakeApiClient, MakeCitizen, MakeStaff

INBOX = "/api/v1/me/notifications"
SUBSCRIPTIONS = "/api/v1/subscriptions"


async def test_inbox_unread_filter_and_mark_read(
    api: Client,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    make_citizen: MakeCitizen,
) -> None:
    citizen = await make_citizen()
    stranger = await make_citizen()
    await file_request(api, citizen)

    async def arrived() -> bool:
        return int(await scalar(sessionmaker, "SELECT count(*) FROM inbox_items")) >= 1

    await run_until(worker, arrived)
    page = (await api.get(INBOX, headers=citizen.headers)).json()
    assert set(page) >= {"items", "next_cursor"}
    [item] = page["items"]
    assert item["read"] is False
    assert_problem(await api.post(f"{INBOX}/{item['id']}/read", headers=stranger.headers), 404)
    marked = await api.post(f"{INBOX}/{item['id']}/read", headers=citizen.headers)
    assert marked.status_code == 200
    assert marked.json()["read"] is True
    unread = (await api.get(INBOX, params={"unread": "true"}, headers=citizen.headers)).json()
    assert unread["items"] == []
    assert len((await api.get(INBOX, headers=citizen.headers)).json()["items"]) == 1


async def test_subscription_lifecycle_with_signed_thin_webhook(
    api: Client,
    worker: Worker,
    receiver: WebhookReceiver,
    make_citizen: MakeCitizen,
    make_api_client: MakeApiClient,
) -> None:
    owner = await make_api_client(["subscriptions:manage", "requests:read"])
    other = await make_api_client(["subscriptions:manage"])
    reader = await make_api_client(["requests:read"])
    body = {"url": f"{receiver.base_url}/hook", "events": ["request.submitted"]}
    refused = await api.post(SUBSCRIPTIONS, json=body, headers=reader.headers)
    assert_problem(refused, 403)
    assert_problem(
        await api.post(SUBSCRIPTIONS, json={**body, "owner": "x"}, headers=owner.headers), 422
    )
    created = await api.post(SUBSCRIPTIONS, json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    subscription = created.json()
    assert subscription["secret"]
    sid = subscription["id"]
    listed = (await api.get(SUBSCRIPTIONS, headers=owner.headers)).json()
    assert [s["id"] for s in listed["items"]] == [sid]
    assert "secret" not in listed["items"][0]
    assert (await api.get(SUBSCRIPTIONS, headers=other.headers)).json()["items"] == []

    citizen = await make_citizen()
    request = await file_request(api, citizen)
    [hook] = await run_and_wait(worker, receiver, 1)
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(hook.headers)
    payload = json.loads(hook.body)
    assert request["reference"] in hook.body.decode()
    assert str(citizen.email) not in hook.body.decode()
    assert "Erika" not in hook.body.decode()
    assert payload["type"] == "request.submitted"
    thin = {"event_id", "request_id", "reference", "service", "department", "visibility"}
    thin |= {"from_state", "to_state", "transition", "occurred_at"}
    assert set(payload["data"]) <= thin, payload
    assert payload["data"]["request_id"] == request["id"]
    verified = Webhook(subscription["secret"]).verify(hook.body, hook.headers)
    assert verified["type"] == "request.submitted"

    deliveries = await api.get(f"{SUBSCRIPTIONS}/{sid}/deliveries", headers=owner.headers)
    assert deliveries.status_code == 200
    assert len(deliveries.json()["items"]) == 1
    for path in (f"{SUBSCRIPTIONS}/{sid}/deliveries", f"{SUBSCRIPTIONS}/{sid}"):
        assert_problem(await api.get(path, headers=other.headers), 404)
    assert_problem(await api.delete(f"{SUBSCRIPTIONS}/{sid}", headers=other.headers), 404)
    assert (await api.delete(f"{SUBSCRIPTIONS}/{sid}", headers=owner.headers)).status_code == 204
    assert (await api.get(SUBSCRIPTIONS, headers=owner.headers)).json()["items"] == []


async def run_and_wait(worker: Worker, receiver: WebhookReceiver, count: int) -> list[Received]:
    async def enough() -> bool:
        return len(receiver.received) >= count

    await run_until(worker, enough)
    return list(receiver.received)


async def test_dead_delivery_can_be_retried(
    api: Client,
    make_worker: Callable[..., Worker],
    receiver: WebhookReceiver,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_citizen: MakeCitizen,
    make_api_client: MakeApiClient,
) -> None:
    owner = await make_api_client(["subscriptions:manage"])
    body = {"url": f"{receiver.base_url}/down", "events": ["request.submitted"]}
    sid = (await api.post(SUBSCRIPTIONS, json=body, headers=owner.headers)).json()["id"]
    receiver.by_path["/down"] = Reply(status=500)
    worker = make_worker(retry_schedule="0.1,0.1")
    await file_request(api, await make_citizen())

    async def dead() -> bool:
        sql = "SELECT count(*) FROM deliveries WHERE state = 'dead'"
        return int(await scalar(sessionmaker, sql)) == 1

    await run_until(worker, dead)
    [delivery] = (await api.get(f"{SUBSCRIPTIONS}/{sid}/deliveries", headers=owner.headers)).json()[
        "items"
    ]
    assert delivery["state"] == "dead"
    receiver.by_path.pop("/down")
    retried = await api.post(
        f"{SUBSCRIPTIONS}/{sid}/deliveries/{delivery['id']}/retry", headers=owner.headers
    )
    assert 200 <= retried.status_code < 300, retried.text
    before = len(receiver.received)
    await run_and_wait(worker, receiver, before + 1)


async def test_staff_see_department_notifications_only_with_a_token(
    client: Client, make_staff: MakeStaff
) -> None:
    assert_problem(await client.get(INBOX), 401)
    assert_problem(await client.get("/api/v1/events/stream"), 401)
    clerk = await make_staff("clerk", ["steuern"])
    assert (await client.get(INBOX, headers=clerk.headers)).status_code == 200
