"""Fixtures for notification tests: real SMTP and HTTP peers, a worker, an app that knows them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.core.worker import Worker
from eservice.notifications.jobs import delivery_jobs
from tests.conftest import make_settings
from tests.notifications.peers import SmtpServer, WebhookReceiver


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def receiver_server() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    smtp_server.reset()
    return smtp_server


@pytest.fixture
def receiver(receiver_server: WebhookReceiver) -> WebhookReceiver:
    receiver_server.reset()
    return receiver_server


@pytest.fixture
def peer_overrides(smtp: SmtpServer, receiver: WebhookReceiver) -> dict[str, object]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "webhook_allow_hosts": receiver.host_port,
        "webhook_timeout": 2,
        "worker_lease_seconds": 3,
        "sse_heartbeat_seconds": 0.5,
    }


@pytest.fixture
def worker_settings(session_tmp: Path, peer_overrides: dict[str, object]) -> Settings:
    return make_settings(session_tmp, **peer_overrides)


@pytest.fixture
def make_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    session_tmp: Path,
    peer_overrides: dict[str, object],
) -> Callable[..., Worker]:
    """A worker (without the request timers) whose settings may differ from the defaults."""

    def make(**overrides: object) -> Worker:
        settings = make_settings(session_tmp, **{**peer_overrides, **overrides})
        return Worker(sessionmaker, settings, jobs=delivery_jobs(settings))

    return make


@pytest.fixture
def worker(make_worker: Callable[..., Worker]) -> Worker:
    return make_worker()


@pytest.fixture
async def api(
    client_with: Callable[..., AsyncTestClient[Litestar]], peer_overrides: dict[str, object]
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An API client for an app whose settings allow the test receiver."""
    async with client_with(**peer_overrides) as test_client:
        yield test_client
