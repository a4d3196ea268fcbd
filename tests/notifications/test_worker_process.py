"""The worker survives what happens to processes: killed mid-delivery, stopped gracefully."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.worker import Worker
from tests.notifications.helpers import publish, run_until, scalar
from tests.notifications.peers import Reply, WebhookReceiver
from tests.notifications.test_webhooks import subscribe
from tests.support.auth import MakeApiClient

REPO = Path(__file__).resolve().parents[2]


async def _succeeded(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    return await scalar(sessionmaker, "SELECT state FROM deliveries") == "succeeded"


async def test_killed_worker_loses_nothing_and_the_retry_keeps_the_webhook_id(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    receiver: WebhookReceiver,
    database_url: str,
    session_tmp: Path,
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    sub = await subscribe(api, client.headers, receiver.base_url + "/hold")
    receiver.script = [Reply(delay=60)]  # the first attempt hangs until the worker is killed
    await publish(sessionmaker)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESERVICE_")}
    env.update(
        {
            "ESERVICE_ENV": "test",
            "ESERVICE_DATABASE_URL": database_url,
            "ESERVICE_DATA_DIR": str(session_tmp),
            "ESERVICE_WEBHOOK_ALLOW_HOSTS": receiver.host_port,
            "ESERVICE_WORKER_LEASE_SECONDS": "2",
            "ESERVICE_WORKER_POLL_INTERVAL": "0.1",
            "ESERVICE_WEBHOOK_TIMEOUT": "60",
            "ESERVICE_LOG_LEVEL": "WARNING",
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eservice.cli.main",
        "worker",
        cwd=str(REPO),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await receiver.wait_for(1, timeout=30)
        # When the dead worker's lease runs out, on the receiver's clock (the lease began at
        # the claim, some time before the request arrived; how long depends on the load).
        remaining = await scalar(
            sessionmaker, "SELECT extract(epoch FROM next_attempt_at - now()) FROM deliveries"
        )
        lease_end = time.monotonic() + float(remaining)
    finally:
        process.kill()
        await process.wait()
    assert await scalar(sessionmaker, "SELECT state FROM deliveries") == "pending"

    await run_until(make_worker(), lambda: _succeeded(sessionmaker), timeout=20)

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert second.at >= lease_end - 0.05  # not before the dead worker's lease ran out
    deliveries = await api.get(
        f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=client.headers
    )
    assert deliveries.json()["items"][0]["state"] == "succeeded"


async def test_graceful_stop_finishes_the_delivery_in_flight(
    api: AsyncTestClient[Litestar],
    make_api_client: MakeApiClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    receiver: WebhookReceiver,
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    await subscribe(api, client.headers, receiver.base_url + "/slowish")
    receiver.script = [Reply(delay=0.8)]
    await publish(sessionmaker)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))

    await receiver.wait_for(1)
    stop.set()
    await asyncio.wait_for(running, 10)

    assert await _succeeded(sessionmaker)
    assert len(receiver.received) == 1
