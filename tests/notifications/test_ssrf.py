"""Webhook URLs must not reach internal addresses: refused at subscription and at connect time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.worker import Worker
from eservice.notifications.ssrf import UnsafeTarget, check_target
from tests.notifications.helpers import publish, run_rounds, scalar
from tests.notifications.peers import WebhookReceiver
from tests.support.auth import MakeApiClient

REFUSED = [
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://10.1.2.3/hook", "private"),
    ("http://192.168.0.10/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[::1]:8080/hook", "loopback"),
    ("http://[fd12:3456::1]/hook", "unique local"),
    ("http://100.64.0.1/hook", "carrier-grade NAT"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://[::ffff:10.0.0.1]/hook", "private"),
    ("http://localhost:9/hook", "localhost resolves to a loopback address"),
    ("file:///etc/passwd", "only http and https"),
    ("gopher://example.org/", "only http and https"),
    ("http://user:pw@example.org/", "credentials"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
async def test_subscription_to_internal_address_is_refused_naming_the_reason(
    api: AsyncTestClient[Litestar], make_api_client: MakeApiClient, url: str, reason: str
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    response = await api.post(
        "/api/v1/subscriptions",
        json={"url": url, "events": ["request.submitted"]},
        headers=client.headers,
    )
    assert response.status_code == 422
    problem = response.json()
    assert reason in problem["detail"]
    assert problem["errors"][0]["pointer"] == "/url"


async def test_public_address_passes_the_guard() -> None:
    target = await check_target("https://93.184.216.34/hook", frozenset())
    assert target.address == "93.184.216.34"
    assert target.port == 443


async def test_allow_list_admits_exactly_the_listed_host_and_port() -> None:
    allowed = frozenset({"127.0.0.1:9000"})
    assert (await check_target("http://127.0.0.1:9000/x", allowed)).allowed_by_setting
    with pytest.raises(UnsafeTarget):
        await check_target("http://127.0.0.1:9001/x", allowed)


async def test_address_is_checked_again_when_connecting(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    receiver: WebhookReceiver,
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    response = await api.post(
        "/api/v1/subscriptions",
        json={"url": receiver.base_url + "/hook", "events": ["request.transitioned"]},
        headers=client.headers,
    )
    assert response.status_code == 201
    # The worker's configuration no longer allows the receiver (as if DNS now pointed inside).
    worker = make_worker(webhook_allow_hosts="", retry_schedule="30")
    await publish(sessionmaker)

    await run_rounds(worker, 0.5)
    await asyncio.sleep(0.1)

    assert receiver.received == []
    error = await scalar(sessionmaker, "SELECT last_error FROM deliveries")
    assert error == "refused: the URL points to a loopback address"


async def test_connection_goes_to_the_checked_address_with_the_original_host_header(
    client_with: Callable[..., AsyncTestClient[Litestar]],
    peer_overrides: dict[str, object],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    receiver: WebhookReceiver,
) -> None:
    named = f"localhost:{receiver.port}"
    allow = {"webhook_allow_hosts": named}
    client = await make_api_client(["subscriptions:manage"])
    async with client_with(**{**peer_overrides, **allow}) as api:
        response = await api.post(
            "/api/v1/subscriptions",
            json={"url": f"http://{named}/named", "events": ["request.transitioned"]},
            headers=client.headers,
        )
    assert response.status_code == 201, response.text
    await publish(sessionmaker)

    await run_rounds(make_worker(**allow), 0.5)

    assert [r.headers["host"] for r in receiver.received] == [named]
