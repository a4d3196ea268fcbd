"""The live stream: Server-Sent Events fed by PostgreSQL LISTEN/NOTIFY.

Each API process keeps one listening connection (``EventBroker``). ``publish_event`` sends
``pg_notify('eservice_events', <event id>)`` inside the publishing transaction, so listeners in
every process hear of an event exactly when it commits. The broker loads the event once and
hands it to each open stream, which filters it by what its caller may see. ``Last-Event-ID``
resumes from the stored events; after a lost listening connection streams catch up the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.db import normalise_database_url
from eservice.events.outbox import NOTIFY_CHANNEL
from eservice.events.schemas import PublishedEvent
from eservice.identity.principal import Principal, Scope
from eservice.notifications import repository
from eservice.notifications.fanout import webhook_body
from eservice.notifications.metrics import STREAM_CLIENTS

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
RESUME_LIMIT = 1000
_CHECK_EVERY = 30.0


def may_see(principal: Principal, event: PublishedEvent) -> bool:
    """Citizens: public events of their own requests; staff: their departments'; clients:
    events of their services with ``requests:read`` (as their webhooks do; the thin body
    carries no comment text or personal data, and the API restricts only citizens to public
    events)."""
    if principal.is_citizen:
        return event.applicant_id == principal.id and event.visibility == "public"
    if principal.is_staff:
        return principal.works_in(event.department)
    if principal.is_client:
        return principal.has_scope(Scope.REQUESTS_READ) and principal.may_use_service(
            event.service_code
        )
    return False


def format_event(event: PublishedEvent) -> bytes:
    """One SSE message: ``id`` (the event id), ``event`` (its type), ``data`` (thin JSON)."""
    data = msgspec.json.encode(webhook_body(event)).decode()
    return f"id: {event.event_id}\nevent: {event.type}\ndata: {data}\n\n".encode()


class Listener:
    """One open stream's mailbox; ``behind`` is set when it missed events and must catch up."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[PublishedEvent] = asyncio.Queue(QUEUE_SIZE)
        self.behind = asyncio.Event()

    def offer(self, event: PublishedEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.behind.set()


class EventBroker:
    """LISTENs on ``eservice_events`` and fans committed events out to the open streams."""

    def __init__(self, database_url: str, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._dsn = "postgresql://" + normalise_database_url(database_url).split("://", 1)[1]
        self._sessionmaker = sessionmaker
        self._listeners: set[Listener] = set()
        self._ids: asyncio.Queue[int] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._ready = asyncio.Event()
        self._start_lock = asyncio.Lock()

    async def start(self) -> None:
        """Start listening (once); waits until the LISTEN is in place."""
        async with self._start_lock:
            if not self._tasks:
                self._tasks = [
                    asyncio.create_task(self._listen(), name="eservice-stream-listen"),
                    asyncio.create_task(self._dispatch(), name="eservice-stream-dispatch"),
                ]
        await asyncio.wait_for(self._ready.wait(), 15)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    def subscribe(self) -> Listener:
        listener = Listener()
        self._listeners.add(listener)
        STREAM_CLIENTS.inc()
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.discard(listener)
            STREAM_CLIENTS.dec()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            self._ids.put_nowait(int(payload))
        except ValueError:
            log.warning("ignoring a malformed stream notification")

    async def _listen(self) -> None:
        connected_before = False
        warned = False  # one warning per loss, not one per failed attempt to reconnect
        delay = 0.5
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self._dsn, timeout=10)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
                if connected_before:
                    for listener in list(self._listeners):
                        listener.behind.set()
                connected_before = True
                delay = 0.5
                if warned:
                    log.info("live stream reconnected to the database")
                    warned = False
                self._ready.set()
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), _CHECK_EVERY)
                    if not lost.is_set():
                        await conn.fetchval("SELECT 1", timeout=10)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                if not warned:
                    log.warning("live stream lost its database connection; reconnecting")
                    warned = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)

    async def _dispatch(self) -> None:
        while True:
            event_id = await self._ids.get()
            if not self._listeners:
                continue
            try:
                async with self._sessionmaker() as session:
                    payload = await repository.event_by_id(session, event_id)
            except Exception:
                log.exception("live stream could not load event", extra={"event_id": event_id})
                for listener in list(self._listeners):
                    listener.behind.set()
                continue
            if payload is None:
                continue
            event = msgspec.convert(payload, PublishedEvent)
            for listener in list(self._listeners):
                listener.offer(event)

    async def events_after(self, event_id: int) -> list[PublishedEvent]:
        async with self._sessionmaker() as session:
            payloads = await repository.events_after(session, event_id, RESUME_LIMIT)
        return [msgspec.convert(p, PublishedEvent) for p in payloads]


async def event_stream(
    broker: EventBroker,
    principal: Principal,
    *,
    last_event_id: int | None,
    heartbeat: float,
) -> AsyncIterator[bytes]:
    """The SSE body for one caller: resume, then live events and heartbeats until closed."""
    await broker.start()
    listener = broker.subscribe()
    sent: set[int] = set()
    last = last_event_id
    try:
        yield b"retry: 3000\n: connected\n\n"
        if last is not None:
            listener.behind.set()
        while True:
            if listener.behind.is_set():
                listener.behind.clear()
                if last is not None:
                    for event in await broker.events_after(last):
                        if event.event_id not in sent and may_see(principal, event):
                            sent.add(event.event_id)
                            last = max(last, event.event_id)
                            yield format_event(event)
            try:
                event = await asyncio.wait_for(listener.queue.get(), heartbeat)
            except TimeoutError:
                yield b": heartbeat\n\n"
                continue
            if event.event_id in sent or not may_see(principal, event):
                continue
            if len(sent) > 10 * RESUME_LIMIT:
                sent.clear()
            sent.add(event.event_id)
            last = event.event_id if last is None else max(last, event.event_id)
            yield format_event(event)
    finally:
        broker.unsubscribe(listener)
