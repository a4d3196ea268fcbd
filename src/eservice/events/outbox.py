"""Writing to the outbox. Called inside the caller's transaction; never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.db import json_text
from eservice.core.transaction import driver_connection
from eservice.events.schemas import PublishedEvent
from eservice.events.tables import OutboxRow

NOTIFY_CHANNEL = "eservice_events"
_PUBLISH = (
    "WITH published AS (INSERT INTO outbox (kind, payload) "
    "VALUES ('event', $1) RETURNING id) SELECT pg_notify($2, $3) FROM published"
)


def event_payload(event: PublishedEvent) -> str:
    """An event's outbox payload, as JSON text."""
    return json_text(event)


async def publish_event(session: AsyncSession, event: PublishedEvent) -> None:
    """Record ``event`` for delivery, and wake listeners when the transaction commits.

    ``pg_notify`` is transactional: the live stream hears of the event only if it commits.
    """
    # One round trip for the row and the notification (this runs in every transition).
    connection = await driver_connection(session)
    await connection.execute(_PUBLISH, event_payload(event), NOTIFY_CHANNEL, str(event.event_id))


async def queue_email(
    session: AsyncSession,
    *,
    to: str,
    template: str,
    locale: str,
    context: dict[str, Any],
) -> None:
    """Send ``template`` (e.g. ``verify_email``) to ``to`` once the transaction commits."""
    payload = {"to": to, "template": template, "locale": locale, "context": context}
    await session.execute(insert(OutboxRow).values(kind="email", payload=payload))
