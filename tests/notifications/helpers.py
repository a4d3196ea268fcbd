"""Helpers for notification tests: publish events in committed transactions, drive a worker."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.transaction import transaction
from eservice.core.worker import Worker
from eservice.events.outbox import publish_event
from eservice.events.schemas import PublishedEvent

_event_ids = itertools.count(1000)


def make_event(**overrides: Any) -> PublishedEvent:
    """A ``request.transitioned`` event of a dog registration (steuern), notifying the applicant."""
    values: dict[str, Any] = {
        "event_id": next(_event_ids),
        "type": "request.transitioned",
        "request_id": uuid.uuid4(),
        "reference": "HL-2026-TEST" + uuid.uuid4().hex[:4].upper(),
        "service_code": "hundeanmeldung",
        "service_version": 1,
        "department": "steuern",
        "applicant_id": None,
        "assignee_id": None,
        "visibility": "public",
        "occurred_at": datetime.now(UTC),
        "from_state": "submitted",
        "to_state": "in_review",
        "transition": "start_review",
        "notify": ("applicant",),
    }
    values.update(overrides)
    return PublishedEvent(**values)


async def publish(
    sessionmaker: async_sessionmaker[AsyncSession], **overrides: Any
) -> PublishedEvent:
    """Publish one event in its own committed transaction."""
    event = make_event(**overrides)
    async with transaction(sessionmaker) as session:
        await publish_event(session, event)
    return event


async def scalar(sessionmaker: async_sessionmaker[AsyncSession], sql: str) -> Any:
    """One value from a query on a fresh pooled connection (safe to call concurrently)."""
    async with sessionmaker() as session:
        return (await session.execute(text(sql))).scalar()


async def count_succeeded(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    return int(
        await scalar(sessionmaker, "SELECT count(*) FROM deliveries WHERE state = 'succeeded'")
    )


async def run_until(
    worker: Worker, done: Callable[[], Awaitable[bool]], timeout: float = 15.0
) -> None:
    """Run worker rounds until ``done()`` holds (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not await done():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not get there in time")
        if not await worker.run_once():
            await asyncio.sleep(0.05)


async def run_rounds(worker: Worker, seconds: float) -> None:
    """Keep the worker going for ``seconds`` (to show that nothing more happens)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not await worker.run_once():
            await asyncio.sleep(0.05)
