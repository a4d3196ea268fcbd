"""Webhooks: signed per Standard Webhooks, retried with the same webhook-id, 410 disables,
Retry-After honoured, redirects not followed, a slow receiver blocks nobody, dead ones resent."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from eservice.core.worker import Worker
from eservice.notifications import delivery
from eservice.notifications.fanout import fan_out_batch
from tests.notifications.helpers import publish, run_rounds, run_until, scalar
from tests.notifications.peers import Reply, WebhookReceiver
from tests.support.auth import MakeApiClient

ALL_EVENTS = ["request.submitted", "request.transitioned", "request.commented"]


async def subscribe(
    api: AsyncTestClient[Litestar],
    headers: dict[str, str],
    url: str,
    events: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response = await api.post(
        "/api/v1/subscriptions",
        json={"url": url, "events": events or ALL_EVENTS, **extra},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _state(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    return str(await scalar(sessionmaker, "SELECT string_agg(state, ',') FROM deliveries"))


async def test_event_reaches_subscriber_signed_thin_and_verifiable(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    receiver: WebhookReceiver,
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    sub = await subscribe(api, client.headers, receiver.base_url + "/hooks/eservice")
    assert sub["secret"].startswith("whsec_")
    event = await publish(sessionmaker)

    got = await asyncio.gather(receiver.wait_for(1), run_rounds(worker, 0.5))
    request = got[0][0]

    assert request.path == "/hooks/eservice"
    payload = Webhook(sub["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "request.transitioned"
    data = payload["data"]
    assert data["event_id"] == event.event_id
    assert data["reference"] == event.reference
    assert data["to_state"] == "in_review"
    assert data["from_state"] == "submitted"
    assert set(data) == {
        "event_id",
        "request_id",
        "reference",
        "service",
        "department",
        "visibility",
        "from_state",
        "to_state",
        "transition",
        "occurred_at",
    }
    assert request.headers["webhook-id"].startswith("msg_")
    assert len(receiver.received) == 1


async def test_secret_is_shown_only_when_created(
    api: AsyncTestClient[Litestar], make_api_client: MakeApiClient, receiver: WebhookReceiver
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    sub = await subscribe(api, client.headers, receiver.base_url + "/a")

    listed = await api.get("/api/v1/subscriptions", headers=client.headers)
    one = await api.get(f"/api/v1/subscriptions/{sub['id']}", headers=client.headers)

    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["items"]] == [sub["id"]]
    assert "secret" not in listed.json()["items"][0]
    assert "secret" not in one.json()


async def test_receiver_failing_twice_then_succeeding_gets_same_webhook_id(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    receiver: WebhookReceiver,
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    sub = await subscribe(api, client.headers, receiver.base_url + "/flaky")
    receiver.script = [Reply(status=500), Reply(status=502, body=b"\x00garbage")]
    await publish(sessionmaker)

    await run_until(worker, lambda: _is(sessionmaker, "succeeded"))

    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 3
    assert len(set(ids)) == 1
    for request in receiver.received:
        Webhook(sub["secret"]).verify(request.body, request.headers)
    log = await api.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=client.headers)
    delivery = log.json()["items"][0]
    assert delivery["webhook_id"] == ids[0]
    assert delivery["state"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 502, 200]
    assert [a["outcome"] for a in delivery["attempts"]] == ["failed", "failed", "succeeded"]


async def _is(sessionmaker: async_sessionmaker[AsyncSession], state: str) -> bool:
    return await _state(sessionmaker) == state


async def test_gone_disables_the_subscription(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    receiver: WebhookReceiver,
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    sub = await subscribe(api, client.headers, receiver.base_url + "/gone")
    receiver.default = Reply(status=410)
    await publish(sessionmaker)
    await run_until(worker, lambda: _is(sessionmaker, "cancelled"))
    await publish(sessionmaker)
    await run_rounds(worker, 0.5)

    one = await api.get(f"/api/v1/subscriptions/{sub['id']}", headers=client.headers)
    assert one.json()["active"] is False
    assert "410" in one.json()["disabled_reason"]
    assert len(receiver.received) == 1


async def test_retry_after_is_honoured(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    receiver: WebhookReceiver,
) -> None:
    worker = make_worker(retry_schedule="0.2,0.2")
    client = await make_api_client(["subscriptions:manage"])
    await subscribe(api, client.headers, receiver.base_url + "/busy")
    receiver.script = [Reply(status=503, headers={"Retry-After": "2"})]
    await publish(sessionmaker)

    await run_until(worker, lambda: _is(sessionmaker, "succeeded"))

    first, second = receiver.received
    assert second.at - first.at >= 1.9


async def test_redirect_is_not_followed(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    receiver: WebhookReceiver,
) -> None:
    worker = make_worker(retry_schedule="30")
    client = await make_api_client(["subscriptions:manage"])
    await subscribe(api, client.headers, receiver.base_url + "/moved")
    receiver.by_path["/moved"] = Reply(status=302, headers={"Location": "/elsewhere"})
    await publish(sessionmaker)

    await run_rounds(worker, 0.6)

    assert [r.path for r in receiver.received] == ["/moved"]
    error = await scalar(sessionmaker, "SELECT last_error FROM deliveries")
    assert "redirects are not followed" in error


async def test_slow_receiver_does_not_delay_others(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    receiver: WebhookReceiver,
) -> None:
    worker = make_worker(webhook_timeout=0.5, retry_schedule="30")
    client = await make_api_client(["subscriptions:manage"])
    await subscribe(api, client.headers, receiver.base_url + "/slow")
    await subscribe(api, client.headers, receiver.base_url + "/fast")
    receiver.by_path["/slow"] = Reply(delay=3)
    await publish(sessionmaker)

    await worker.run_once()  # fan-out
    started = asyncio.get_running_loop().time()
    await worker.run_once()  # both attempts, concurrently
    took = asyncio.get_running_loop().time() - started

    assert took < 2.5
    rows = await _rows(sessionmaker)
    by_path = {r["path"]: r for r in rows}
    assert by_path["/fast"]["state"] == "succeeded"
    assert by_path["/slow"]["state"] == "pending"
    assert "Timeout" in by_path["/slow"]["last_error"]


async def _rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    raw = await scalar(
        sessionmaker,
        "SELECT json_agg(json_build_object('path', substring(s.url from '/[a-z]+$'), "
        "'state', d.state, 'last_error', d.last_error)) "
        "FROM deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id",
    )
    return json.loads(raw) if isinstance(raw, str) else list(raw)


async def test_dead_delivery_can_be_resent_with_same_webhook_id(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    receiver: WebhookReceiver,
) -> None:
    worker = make_worker(retry_schedule="0.1,0.1")
    client = await make_api_client(["subscriptions:manage"])
    sub = await subscribe(api, client.headers, receiver.base_url + "/down")
    receiver.default = Reply(status=500)
    await publish(sessionmaker)
    await run_until(worker, lambda: _is(sessionmaker, "dead"))
    assert len(receiver.received) == 3
    base = f"/api/v1/subscriptions/{sub['id']}/deliveries"
    delivery = (await api.get(base, headers=client.headers)).json()["items"][0]
    assert delivery["state"] == "dead"

    receiver.default = Reply(status=204)
    again = await api.post(f"{base}/{delivery['id']}/retry", headers=client.headers)
    assert again.status_code == 202
    assert again.json()["state"] == "pending"
    await run_until(worker, lambda: _is(sessionmaker, "succeeded"))

    assert len(receiver.received) == 4
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery["webhook_id"]}
    not_dead = await api.post(f"{base}/{delivery['id']}/retry", headers=client.headers)
    assert not_dead.status_code == 409


async def test_subscription_filters_by_event_type_and_service(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    receiver: WebhookReceiver,
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    await subscribe(
        api,
        client.headers,
        receiver.base_url + "/dogs",
        events=["request.submitted"],
        services=["hundeanmeldung"],
    )
    await publish(sessionmaker, type="request.transitioned")
    await publish(sessionmaker, type="request.submitted", service_code="meldebescheinigung")
    wanted = await publish(sessionmaker, type="request.submitted")

    await run_rounds(worker, 0.6)

    assert len(receiver.received) == 1
    assert json.loads(receiver.received[0].body)["data"]["event_id"] == wanted.event_id


async def test_other_clients_cannot_see_or_remove_a_subscription(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    receiver: WebhookReceiver,
    raw_connection: asyncpg.Connection,
) -> None:
    owner = await make_api_client(["subscriptions:manage"])
    other = await make_api_client(["subscriptions:manage"])
    sub = await subscribe(api, owner.headers, receiver.base_url + "/mine")
    path = f"/api/v1/subscriptions/{sub['id']}"

    assert (await api.get(path, headers=other.headers)).status_code == 404
    assert (await api.delete(path, headers=other.headers)).status_code == 404
    assert (await api.get(path + "/deliveries", headers=other.headers)).status_code == 404
    assert (await api.delete(path, headers=owner.headers)).status_code == 204
    assert await raw_connection.fetchval("SELECT count(*) FROM webhook_subscriptions") == 0


async def test_subscribing_needs_the_manage_scope(
    api: AsyncTestClient[Litestar], make_api_client: MakeApiClient, receiver: WebhookReceiver
) -> None:
    reader = await make_api_client(["requests:read"])
    response = await api.post(
        "/api/v1/subscriptions",
        json={"url": receiver.base_url + "/x", "events": ["request.submitted"]},
        headers=reader.headers,
    )
    assert response.status_code == 403


async def test_unknown_fields_and_event_types_are_refused(
    api: AsyncTestClient[Litestar], make_api_client: MakeApiClient, receiver: WebhookReceiver
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    for body in (
        {"url": receiver.base_url, "events": ["request.exploded"]},
        {"url": receiver.base_url, "events": ["request.submitted"], "secret": "mine"},
        {"url": receiver.base_url, "events": []},
        {"url": receiver.base_url, "events": ["request.submitted"], "services": ["nope"]},
    ):
        response = await api.post("/api/v1/subscriptions", json=body, headers=client.headers)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_client_restricted_to_services_subscribes_only_to_those(
    api: AsyncTestClient[Litestar], make_api_client: MakeApiClient, receiver: WebhookReceiver
) -> None:
    client = await make_api_client(["subscriptions:manage"], services=["hundeanmeldung"])
    other = await api.post(
        "/api/v1/subscriptions",
        json={
            "url": receiver.base_url,
            "events": ["request.submitted"],
            "services": ["meldebescheinigung"],
        },
        headers=client.headers,
    )
    defaulted = await subscribe(api, client.headers, receiver.base_url + "/d")

    assert other.status_code == 422
    assert other.json()["errors"][0]["pointer"] == "/services/0"
    assert defaulted["services"] == ["hundeanmeldung"]


async def test_idempotency_key_replays_the_created_subscription(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    receiver: WebhookReceiver,
    raw_connection: asyncpg.Connection,
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    headers = {**client.headers, "Idempotency-Key": "sub-1"}
    body = {"url": receiver.base_url + "/i", "events": ["request.submitted"]}

    first = await api.post("/api/v1/subscriptions", json=body, headers=headers)
    again = await api.post("/api/v1/subscriptions", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert await raw_connection.fetchval("SELECT count(*) FROM webhook_subscriptions") == 1


# --- the outcomes of a claimed batch are recorded together, in one transaction ----------------


async def _by_path(raw_connection: asyncpg.Connection) -> dict[str, asyncpg.Record]:
    rows = await raw_connection.fetch(
        "SELECT substring(s.url from '/[a-z]+$') AS path, d.* FROM deliveries d "
        "JOIN webhook_subscriptions s ON s.id = d.subscription_id"
    )
    return {r["path"]: r for r in rows}


async def test_batch_with_a_success_a_failure_and_a_lost_lease(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    receiver: WebhookReceiver,
    raw_connection: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = make_worker(retry_schedule="30")
    client = await make_api_client(["subscriptions:manage"])
    for path in ("/ok", "/fail", "/stolen"):
        await subscribe(api, client.headers, receiver.base_url + path)
    receiver.by_path["/fail"] = Reply(status=500)
    receiver.by_path["/stolen"] = Reply(delay=0.5)
    await publish(sessionmaker)

    with caplog.at_level(logging.INFO, logger="eservice.notifications.delivery"):
        round_ = asyncio.create_task(worker.run_once())  # fan-out, then the three attempts
        await receiver.wait_for(3)
        # Another worker takes /stolen over while this one still waits for the answer.
        stolen_by = await raw_connection.fetchval(
            "UPDATE deliveries SET lease_token = gen_random_uuid() FROM webhook_subscriptions s "
            "WHERE s.id = deliveries.subscription_id AND s.url LIKE '%/stolen' "
            "RETURNING lease_token"
        )
        await round_

    rows = await _by_path(raw_connection)
    assert rows["/ok"]["state"] == "succeeded"
    assert rows["/ok"]["delivered_at"] is not None
    assert rows["/ok"]["lease_token"] is None
    assert rows["/fail"]["state"] == "pending"
    assert rows["/fail"]["last_status"] == 500
    assert rows["/fail"]["lease_token"] is None
    assert rows["/fail"]["next_attempt_at"] > rows["/fail"]["updated_at"]
    assert rows["/stolen"]["state"] == "pending"  # left to the worker that holds it now
    assert rows["/stolen"]["lease_token"] == stolen_by
    assert rows["/stolen"]["last_status"] is None
    attempts = await raw_connection.fetch("SELECT delivery_id, status_code FROM delivery_attempts")
    assert sorted(r["status_code"] for r in attempts) == [200, 200, 500]  # all three logged
    lost = [r for r in caplog.records if r.getMessage().startswith("delivery lease lost")]
    assert [r.__dict__["delivery_id"] for r in lost] == [rows["/stolen"]["id"]]
    logged = [r for r in caplog.records if r.getMessage() == "delivery attempt"]
    assert len(logged) == 3


async def test_a_crashing_attempt_is_a_failure_and_the_others_are_recorded(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    receiver: WebhookReceiver,
    raw_connection: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = make_worker(retry_schedule="30")
    client = await make_api_client(["subscriptions:manage"])
    await subscribe(api, client.headers, receiver.base_url + "/fine")
    await subscribe(api, client.headers, receiver.base_url + "/boom")
    real_send = delivery.send_webhook

    async def send_or_crash(settings: Any, *, url: str, **kwargs: Any) -> Any:
        if url.endswith("/boom"):
            raise RuntimeError("a bug")
        return await real_send(settings, url=url, **kwargs)

    monkeypatch.setattr(delivery, "send_webhook", send_or_crash)
    await publish(sessionmaker)

    await worker.run_once()

    rows = await _by_path(raw_connection)
    assert rows["/fine"]["state"] == "succeeded"
    assert rows["/boom"]["state"] == "pending"
    assert rows["/boom"]["last_error"] == "internal error: RuntimeError"
    assert rows["/boom"]["lease_token"] is None
    assert [r.path for r in receiver.received] == ["/fine"]


async def test_deliveries_of_a_disabled_subscription_are_cancelled_not_sent(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    receiver: WebhookReceiver,
    raw_connection: asyncpg.Connection,
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    await subscribe(api, client.headers, receiver.base_url + "/on")
    await subscribe(api, client.headers, receiver.base_url + "/off")
    await publish(sessionmaker)
    await fan_out_batch(worker.sessionmaker, worker.settings, 20)
    await raw_connection.execute(
        "UPDATE webhook_subscriptions SET active = false WHERE url LIKE '%/off'"
    )

    await worker.run_once()

    rows = await _by_path(raw_connection)
    assert rows["/on"]["state"] == "succeeded"
    assert rows["/off"]["state"] == "cancelled"
    assert rows["/off"]["last_error"] == "the subscription is disabled or removed"
    assert rows["/off"]["lease_token"] is None
    assert [r.path for r in receiver.received] == ["/on"]
    assert await raw_connection.fetchval("SELECT count(*) FROM delivery_attempts") == 1
