"""The background worker's loop: run every job in turn, sleep when none found work.

Which jobs run is composed at the top (``eservice.worker``); this loop knows no context.
Several workers may run at once (the jobs claim work with ``FOR UPDATE SKIP LOCKED``); each
job is its own short transaction. A stop request lets the current round finish, then returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.core.outage import note_unavailable

log = logging.getLogger(__name__)

# A job gets the sessionmaker and the batch size and returns how much work it found (0 = idle).
Job = Callable[[async_sessionmaker[AsyncSession], int], Awaitable[int]]


def every(
    seconds: float, job: Callable[[async_sessionmaker[AsyncSession]], Awaitable[object]]
) -> Job:
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


class Worker:
    """One worker loop over ``jobs`` (name, job); ``run`` until ``stop`` is set."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        jobs: Sequence[tuple[str, Job]],
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.jobs = list(jobs)

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started")
        while not stop.is_set():
            busy = await self.run_once()
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.worker_poll_interval)
        log.info("worker stopped")

    async def run_once(self) -> int:
        """One round of every job; returns how much work they found (0 = idle)."""
        limit = self.settings.worker_batch_size
        done = 0
        for name, job in self.jobs:
            done += await self._step(name, job, limit)
        return done

    async def _step(self, name: str, job: Job, limit: int) -> int:
        """Run one job; an error is logged and the loop goes on (the work stays queued)."""
        try:
            return await job(self.sessionmaker, limit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not note_unavailable(exc):  # an outage is logged once, not per step and round
                log.exception("worker step failed", extra={"step": name})
            return 0
