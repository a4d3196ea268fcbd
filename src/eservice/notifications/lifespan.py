"""What notifications add to the app's lifespan: the live-stream broker and backlog metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from eservice.core.outage import note_unavailable
from eservice.notifications.jobs import refresh_backlog_metrics
from eservice.notifications.stream import EventBroker

log = logging.getLogger(__name__)

METRICS_EVERY = 15.0
STOP_TIMEOUT = 30.0


def broker_of(state: State) -> EventBroker:
    broker: EventBroker = state.event_broker
    return broker


def notifications_lifespan() -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan hook (after the database one): broker and metrics refresher."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        broker = EventBroker(app.state.database_url, app.state.sessionmaker)
        app.state.event_broker = broker
        stop = asyncio.Event()
        tasks = [asyncio.create_task(_refresh_metrics(app, stop), name="eservice-metrics")]
        try:
            yield
        finally:
            stop.set()
            await broker.stop()
            done, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
            for task in pending:
                task.cancel()
            for task in [*done, *pending]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    return lifespan


async def _refresh_metrics(app: Litestar, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await refresh_backlog_metrics(app.state.sessionmaker)
        except Exception as exc:
            if not note_unavailable(exc):
                log.warning("could not refresh the notification backlog metrics", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), METRICS_EVERY)
