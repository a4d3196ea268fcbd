"""Through the real API: a transition reaches the applicant by exactly one email, one inbox item
and one live event, and every subscriber by one signed webhook; a refused one sends nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from eservice.core.worker import Worker
from tests.conftest import make_settings
from tests.notifications.helpers import run_rounds, run_until, scalar
from tests.notifications.live import SseReader, serve_app
from tests.notifications.peers import SmtpServer, WebhookReceiver
from tests.requests.helpers import filing
from tests.support.auth import Caller, MakeApiClient, MakeStaff


@pytest.fixture
async def http(
    database_url: str, session_tmp: Path, peer_overrides: dict[str, object]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(session_tmp, **peer_overrides)
    async with (
        serve_app(settings, database_url) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


async def _idle(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    pending = await scalar(
        sessionmaker,
        "SELECT (SELECT count(*) FROM outbox WHERE processed_at IS NULL)"
        " + (SELECT count(*) FROM deliveries WHERE state = 'pending')",
    )
    return int(pending) == 0


async def _subscribe(http: httpx.AsyncClient, client: Caller, url: str) -> str:
    response = await http.post(
        "/api/v1/subscriptions",
        json={"url": url, "events": ["request.transitioned"], "services": ["hundeanmeldung"]},
        headers=client.headers,
    )
    assert response.status_code == 201, response.text
    secret: str = response.json()["secret"]
    return secret


async def test_transition_notifies_by_email_inbox_stream_and_signed_webhooks(
    http: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    smtp: SmtpServer,
    receiver: WebhookReceiver,
    citizen: Caller,
    make_staff: MakeStaff,
    make_api_client: MakeApiClient,
) -> None:
    worker = make_worker()
    clerk = await make_staff("clerk", ["steuern"])
    filed = await http.post(
        "/api/v1/requests", json=filing("hundeanmeldung"), headers=citizen.headers
    )
    assert filed.status_code == 201, filed.text
    request: dict[str, Any] = filed.json()
    await run_until(worker, lambda: _idle(sessionmaker))
    smtp.reset()
    secrets = [
        await _subscribe(http, await make_api_client(["subscriptions:manage"]), url)
        for url in (receiver.base_url + "/one", receiver.base_url + "/two")
    ]
    before = await http.get("/api/v1/me/notifications", headers=citizen.headers)
    assert [n["type"] for n in before.json()["items"]] == ["request.submitted"]

    async with (
        http.stream("GET", "/api/v1/events/stream", headers=citizen.headers) as stream,
        SseReader(stream) as reader,
    ):
        await reader.next()
        fired = await http.post(
            f"/api/v1/requests/{request['id']}/transitions",
            json={"transition": "start_review"},
            headers={**clerk.headers, "If-Match": f'"{request["version"]}"'},
        )
        assert fired.status_code == 200, fired.text
        live = await reader.next_event()
        await run_until(worker, lambda: _idle(sessionmaker))
        await run_rounds(worker, 0.3)
        with pytest.raises(TimeoutError):
            await reader.next_event(timeout=0.7)

    assert live.event == "request.transitioned"
    assert live.data is not None
    assert live.data["data"]["to_state"] == "in_review"
    messages = await smtp.wait_for(1)
    assert [m["To"] for m in messages] == [citizen.email]
    assert request["reference"] in messages[0]["Subject"]
    inbox = await http.get("/api/v1/me/notifications?unread=true", headers=citizen.headers)
    assert [n["type"] for n in inbox.json()["items"]] == [
        "request.transitioned",
        "request.submitted",
    ]
    assert sorted(r.path for r in receiver.received) == ["/one", "/two"]
    for hook in receiver.received:
        secret = secrets[0] if hook.path == "/one" else secrets[1]
        body = Webhook(secret).verify(hook.body, hook.headers)
        assert body["data"]["request_id"] == request["id"]
        assert body["data"]["transition"] == "start_review"
        assert citizen.email not in hook.body.decode()


async def test_refused_transition_sends_nothing(
    http: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    smtp: SmtpServer,
    receiver: WebhookReceiver,
    citizen: Caller,
    make_staff: MakeStaff,
    make_api_client: MakeApiClient,
) -> None:
    worker = make_worker()
    clerk = await make_staff("clerk", ["steuern"])
    request = (
        await http.post("/api/v1/requests", json=filing("hundeanmeldung"), headers=citizen.headers)
    ).json()
    await _subscribe(http, await make_api_client(["subscriptions:manage"]), receiver.base_url)
    await run_until(worker, lambda: _idle(sessionmaker))
    smtp.reset()
    outbox_before = await scalar(sessionmaker, "SELECT count(*) FROM outbox")

    stale = await http.post(
        f"/api/v1/requests/{request['id']}/transitions",
        json={"transition": "start_review"},
        headers={**clerk.headers, "If-Match": f'"{request["version"] + 5}"'},
    )
    impossible = await http.post(
        f"/api/v1/requests/{request['id']}/transitions",
        json={"transition": "provide_info"},
        headers={**citizen.headers, "If-Match": f'"{request["version"]}"'},
    )
    await run_rounds(worker, 0.5)
    await asyncio.sleep(0.1)

    assert stale.status_code == 412
    assert impossible.status_code == 409
    assert await scalar(sessionmaker, "SELECT count(*) FROM outbox") == outbox_before
    assert smtp.messages == []
    assert receiver.received == []
