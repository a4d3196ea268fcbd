"""What notifications add to the app's lifespan: the live-stream broker, backlog metrics and,
for ``serve --with-worker``, the worker as a background task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from eservice.core.config import Settings
from eservice.notifications.stream import EventBroker
from eservice.notifications.worker import Worker, refresh_backlog_metrics

log = logging.getLogger(__name__)

METRICS_EVERY = 15.0
STOP_TIMEOUT = 30.0


def broker_of(state: State) -> EventBroker:
    broker: EventBroker = state.event_broker
    return broker


def notifications_lifespan(
    settings: Settings, *, with_worker: bool
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan hook (after the database one): broker, metrics refresher, optional worker."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        broker = EventBroker(app.state.database_url, app.state.sessionmaker)
        app.state.event_broker = broker
        stop = asyncio.Event()
        tasks = [asyncio.create_task(_refresh_metrics(app, stop), name="eservice-metrics")]
        if with_worker:
            worker = Worker(app.state.sessionmaker, settings)
            tasks.append(asyncio.create_task(worker.run(stop), name="eservice-worker"))
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
        except Exception:
            log.warning("could not refresh the notification backlog metrics", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), METRICS_EVERY)
