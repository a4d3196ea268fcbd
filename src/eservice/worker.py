"""The background worker's composition: every context's jobs, in the order one round runs them.

This sits at the top (like ``app.py``) because it gathers jobs of several contexts; the loop
itself is ``eservice.core.worker.Worker``. ``eservice worker`` runs it as a process and
``serve --with-worker`` as a task in the API's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.attachments.backends import storage_from_settings
from eservice.attachments.maintenance import cleanup_leftovers
from eservice.core.config import Settings
from eservice.core.idempotency import purge_expired_keys
from eservice.core.worker import Job, Worker, every
from eservice.notifications.jobs import (
    delivery_jobs,
    purge_finished_deliveries,
    refresh_backlog_metrics,
)
from eservice.privacy.retention import run_retention
from eservice.requests import jobs as request_jobs
from eservice.statistics.jobs import REFRESH_EVERY_SECONDS, refresh_statistics

HOURLY = 3600.0
DAILY = 24 * HOURLY
METRICS_EVERY = 5.0
STOP_TIMEOUT = 30.0


def worker_jobs(settings: Settings) -> list[tuple[str, Job]]:
    """Notifications first (fan out, deliveries), then request timers and deadline checks,
    hourly housekeeping (old idempotency keys, finished deliveries, attachment files left
    behind by crashed uploads), the backlog gauges and the daily retention run."""

    async def fire_due_timers(sessionmaker: async_sessionmaker[AsyncSession], limit: int) -> int:
        return await request_jobs.fire_due_timers(sessionmaker, limit, settings=settings)

    async def clean_attachment_leftovers(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        storage = storage_from_settings(settings)
        report = await cleanup_leftovers(sessionmaker, storage, settings)
        return report.removed_files + report.removed_staged

    async def refresh_open_data(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        return await refresh_statistics(sessionmaker, settings)

    async def retention_run(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        # Safe in several workers at once (privacy.retention); each starts with one run.
        report = await run_retention(sessionmaker, settings)
        return report.deleted + report.anonymised

    return [
        *delivery_jobs(settings),
        ("fire_due_timers", fire_due_timers),
        ("flag_overdue", request_jobs.flag_overdue),
        ("purge_idempotency_keys", every(HOURLY, purge_expired_keys)),
        ("purge_finished_deliveries", every(HOURLY, purge_finished_deliveries)),
        ("clean_attachment_leftovers", every(HOURLY, clean_attachment_leftovers)),
        ("refresh_open_data_statistics", every(REFRESH_EVERY_SECONDS, refresh_open_data)),
        ("metrics", every(METRICS_EVERY, refresh_backlog_metrics)),
        ("retention_run", every(DAILY, retention_run)),
    ]


def build_worker(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> Worker:
    """The worker with every job of a single-machine installation."""
    return Worker(sessionmaker, settings, jobs=worker_jobs(settings))


def worker_lifespan(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan hook (after the database one) running the worker as a background task."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        stop = asyncio.Event()
        worker = build_worker(app.state.sessionmaker, settings)
        task = asyncio.create_task(worker.run(stop), name="eservice-worker")
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait([task], timeout=STOP_TIMEOUT)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    return lifespan
