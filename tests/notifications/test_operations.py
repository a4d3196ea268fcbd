"""Operating notifications: .eml files without SMTP, SMTP outages, metrics, serve --with-worker."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.worker import Worker
from eservice.notifications.jobs import purge_finished_deliveries, refresh_backlog_metrics
from tests.notifications.helpers import count_succeeded, publish, run_until, scalar
from tests.notifications.peers import SmtpServer, free_port
from tests.support.auth import Caller


async def _sent(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    return await count_succeeded(sessionmaker) >= 1


async def test_without_smtp_host_emails_are_written_as_eml_files(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    session_tmp: Path,
    citizen: Caller,
) -> None:
    worker = make_worker(smtp_host="")
    event = await publish(sessionmaker, applicant_id=citizen.id)

    await run_until(worker, lambda: _sent(sessionmaker))

    message_id = await scalar(sessionmaker, "SELECT message_id FROM deliveries")
    path = session_tmp / "mail" / f"{message_id}.eml"
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == citizen.email
    assert event.reference in str(message["Subject"])


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_smtp_outage_is_retried_and_visible_in_metrics_and_log(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    smtp: SmtpServer,
    citizen: Caller,
) -> None:
    failures_before = _sample("eservice_delivery_failures_total", channel="email")
    down = make_worker(smtp_port=free_port(), retry_schedule="0.2,0.2,0.2")
    await publish(sessionmaker, applicant_id=citizen.id)
    await down.run_once()  # fan-out
    await down.run_once()  # first attempt: nobody listens
    smtp.handler.fail_next = 1  # the server is back, but answers 451 once

    await run_until(make_worker(retry_schedule="0.2,0.2,0.2"), lambda: _sent(sessionmaker))

    outcomes = await scalar(
        sessionmaker, "SELECT string_agg(outcome, ',' ORDER BY id) FROM delivery_attempts"
    )
    errors = await scalar(
        sessionmaker, "SELECT string_agg(error, ' | ' ORDER BY id) FROM delivery_attempts"
    )
    assert outcomes == "failed,failed,succeeded"
    assert "SMTP" in errors
    assert "451" in errors
    assert _sample("eservice_delivery_failures_total", channel="email") - failures_before == 2
    assert len(smtp.messages) == 1


async def test_metrics_show_the_outbox_backlog(
    client: AsyncTestClient[Litestar],
    sessionmaker: async_sessionmaker[AsyncSession],
    citizen: Caller,
) -> None:
    await publish(sessionmaker, applicant_id=citizen.id)
    await publish(sessionmaker, applicant_id=citizen.id)
    await refresh_backlog_metrics(sessionmaker)

    metrics = await client.get("/metrics")

    assert 'eservice_outbox_backlog{kind="event"} 2.0' in metrics.text
    assert "eservice_delivery_attempts_total" in metrics.text


async def test_serve_with_worker_delivers_in_process(
    peer_overrides: dict[str, object],
    database_url: str,
    session_tmp: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    citizen: Caller,
) -> None:
    from eservice.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(session_tmp, **peer_overrides), database_url, with_worker=True)
    async with AsyncTestClient(app=app):
        await publish(sessionmaker, applicant_id=citizen.id)
        messages = await smtp.wait_for(1, timeout=15)

    assert messages[0]["To"] == citizen.email


async def test_housekeeping_forgets_old_finished_deliveries_but_keeps_dead_ones(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    citizen: Caller,
    raw_connection: asyncpg.Connection,
) -> None:
    await publish(sessionmaker, applicant_id=citizen.id)
    await run_until(worker, lambda: _sent(sessionmaker))
    await publish(sessionmaker, applicant_id=citizen.id)
    await run_until(worker, lambda: _count_is(sessionmaker, 2))
    await raw_connection.execute(
        "UPDATE deliveries SET state = 'dead' WHERE id = (SELECT max(id) FROM deliveries)"
    )
    await raw_connection.execute(
        "UPDATE deliveries SET updated_at = now() - interval '40 days';"
        "UPDATE outbox SET processed_at = now() - interval '40 days'"
    )

    removed = await purge_finished_deliveries(sessionmaker)

    assert removed == 3  # one succeeded delivery and two outbox rows
    assert await raw_connection.fetchval("SELECT string_agg(state, ',') FROM deliveries") == "dead"


async def _count_is(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> bool:
    return await count_succeeded(sessionmaker) >= count
