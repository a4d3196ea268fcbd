"""The worker jobs of notifications: fan out the outbox, attempt due deliveries, and their
housekeeping (backlog metrics, forgetting finished deliveries)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.core.transaction import transaction
from eservice.core.worker import Job
from eservice.notifications import delivery_repository, repository
from eservice.notifications.delivery import run_due_deliveries
from eservice.notifications.fanout import fan_out_batch
from eservice.notifications.metrics import DELIVERIES_DEAD, DELIVERY_BACKLOG, OUTBOX_BACKLOG

# Delivery logs and the events the live stream can resume from are kept this long.
KEEP_FINISHED = timedelta(days=30)


def delivery_jobs(settings: Settings) -> list[tuple[str, Job]]:
    """Fan out the outbox, then attempt the deliveries that are due (every round)."""

    async def fan_out(sessionmaker: async_sessionmaker[AsyncSession], limit: int) -> int:
        return await fan_out_batch(sessionmaker, settings, limit)

    async def deliveries(sessionmaker: async_sessionmaker[AsyncSession], limit: int) -> int:
        return await run_due_deliveries(sessionmaker, settings, limit)

    return [("fan_out", fan_out), ("deliveries", deliveries)]


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
