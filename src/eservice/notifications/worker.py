"""The background worker: fan out the outbox, attempt due deliveries, run the request timers.

Several workers may run at once (``FOR UPDATE SKIP LOCKED`` everywhere); each step is its own
short transaction and no transaction is open during network I/O. A stop request lets the
current round finish (deliveries in flight are bounded by their timeouts), then returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.attachments.maintenance import cleanup_leftovers
from eservice.attachments.storage import storage_from_settings
from eservice.core.config import Settings
from eservice.core.idempotency import purge_expired_keys
from eservice.core.transaction import transaction
from eservice.notifications import delivery_repository, repository
from eservice.notifications.delivery import run_due_deliveries
from eservice.notifications.fanout import fan_out_batch
from eservice.notifications.metrics import DELIVERIES_DEAD, DELIVERY_BACKLOG, OUTBOX_BACKLOG
from eservice.requests import jobs

log = logging.getLogger(__name__)

Job = Callable[[async_sessionmaker[AsyncSession], int], Awaitable[int]]
METRICS_EVERY = 5.0
# Delivery logs and the events the live stream can resume from are kept this long.
KEEP_FINISHED = timedelta(days=30)


def every(seconds: float, job: Callable[[async_sessionmaker[AsyncSession]], Awaitable[int]]) -> Job:
    """``job`` run at most once per ``seconds`` (housekeeping that need not run every round)."""
    last = -seconds

    async def throttled(sessionmaker: async_sessionmaker[AsyncSession], _limit: int) -> int:
        nonlocal last
        if time.monotonic() - last < seconds:
            return 0
        last = time.monotonic()
        await job(sessionmaker)
        return 0

    return throttled


def lifecycle_jobs(settings: Settings) -> list[tuple[str, Job]]:
    """Request timers and deadline checks, and hourly housekeeping (old idempotency keys,
    finished deliveries, attachment files left behind by crashed uploads)."""

    async def fire_due_timers(sessionmaker: async_sessionmaker[AsyncSession], limit: int) -> int:
        return await jobs.fire_due_timers(sessionmaker, limit, settings=settings)

    async def clean_attachment_leftovers(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        storage = storage_from_settings(settings)
        report = await cleanup_leftovers(sessionmaker, storage, settings)
        return report.removed_files + report.removed_staged

    return [
        ("fire_due_timers", fire_due_timers),
        ("flag_overdue", jobs.flag_overdue),
        ("purge_idempotency_keys", every(3600.0, purge_expired_keys)),
        ("purge_finished_deliveries", every(3600.0, purge_finished_deliveries)),
        ("clean_attachment_leftovers", every(3600.0, clean_attachment_leftovers)),
    ]


async def purge_finished_deliveries(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Forget sent deliveries and processed outbox rows after ``KEEP_FINISHED``."""
    async with transaction(sessionmaker) as session:
        return await delivery_repository.purge_finished(session, KEEP_FINISHED)


async def refresh_backlog_metrics(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Set the backlog gauges from the database (what every process would report alike)."""
    async with transaction(sessionmaker) as session:
        outbox = await repository.outbox_backlog(session)
        counts = await delivery_repository.delivery_counts(session)
    for kind in ("event", "email"):
        OUTBOX_BACKLOG.labels(kind=kind).set(outbox.get(kind, 0))
    for channel in ("email", "webhook"):
        DELIVERY_BACKLOG.labels(channel=channel).set(counts.get((channel, "pending"), 0))
        DELIVERIES_DEAD.labels(channel=channel).set(counts.get((channel, "dead"), 0))


class Worker:
    """One worker loop; ``run`` until ``stop`` is set."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        jobs: list[tuple[str, Job]] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.jobs = lifecycle_jobs(settings) if jobs is None else jobs
        self._metrics_at = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started")
        while not stop.is_set():
            busy = await self.run_once()
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.worker_poll_interval)
        log.info("worker stopped")

    async def run_once(self) -> int:
        """One round of every step; returns how much work it found (0 = idle)."""
        limit = self.settings.worker_batch_size
        done = 0
        done += await self._step(
            "fan_out", lambda: fan_out_batch(self.sessionmaker, self.settings, limit)
        )
        done += await self._step(
            "deliveries", lambda: run_due_deliveries(self.sessionmaker, self.settings, limit)
        )
        for name, job in self.jobs:
            done += await self._step(name, lambda job=job: job(self.sessionmaker, limit))  # type: ignore[misc]
        now = time.monotonic()
        if now - self._metrics_at >= METRICS_EVERY:
            self._metrics_at = now
            await self._step("metrics", self._metrics)
        return done

    async def _metrics(self) -> int:
        await refresh_backlog_metrics(self.sessionmaker)
        return 0

    async def _step(self, name: str, step: Callable[[], Awaitable[int]]) -> int:
        """Run one step; an error is logged and the loop goes on (the work stays queued)."""
        try:
            return await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("worker step failed", extra={"step": name})
            return 0
