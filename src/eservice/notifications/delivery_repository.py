"""All SQL about deliveries: insert, claim with a lease, record attempts, the delivery log.

The worker writes deliveries and the outcomes of its attempts a batch at a time, straight
through asyncpg (see ``core.db.driver_connection``): one statement per table and batch, with
the rows as arrays through ``unnest``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.db import json_text
from eservice.core.transaction import driver_connection
from eservice.events.tables import OutboxRow
from eservice.notifications.tables import (
    DeliveryAttemptRow,
    DeliveryRow,
    SubscriptionRow,
)


class NewDelivery(msgspec.Struct, frozen=True):
    """A delivery to create: an email (``payload`` to, subject, text, html) or a webhook
    (``payload`` body, ``subscription_id`` set)."""

    outbox_id: int
    event_id: int | None
    channel: str
    message_id: str
    event_type: str
    payload: dict[str, Any]
    subscription_id: UUID | None = None


class AttemptOutcome(msgspec.Struct, frozen=True):
    """How one attempt ended and what the delivery becomes (see ``delivery.plan_after``)."""

    delivery_id: int
    attempt: int
    outcome: str
    status_code: int | None
    error: str | None
    started_at: datetime
    duration_ms: int
    state: str
    retry_in: timedelta | None


_INSERT_DELIVERIES = (
    "INSERT INTO deliveries "
    "(outbox_id, event_id, channel, subscription_id, message_id, event_type, payload) "
    "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::uuid[], $5::text[], "
    "$6::text[], $7::jsonb[])"
)


async def insert_deliveries(session: AsyncSession, rows: Sequence[NewDelivery]) -> None:
    """Create deliveries (due at once) in one statement."""
    if not rows:
        return
    connection = await driver_connection(session)
    await connection.execute(
        _INSERT_DELIVERIES,
        [r.outbox_id for r in rows],
        [r.event_id for r in rows],
        [r.channel for r in rows],
        [r.subscription_id for r in rows],
        [r.message_id for r in rows],
        [r.event_type for r in rows],
        [json_text(r.payload) for r in rows],
    )


class ClaimedDelivery(msgspec.Struct, frozen=True):
    """A delivery taken for one attempt; ``attempts`` already counts it."""

    id: int
    channel: str
    subscription_id: UUID | None
    message_id: str
    attempts: int
    payload: dict[str, Any]


_CLAIM_DUE = (
    "WITH due AS (SELECT id FROM deliveries "
    "WHERE state = 'pending' AND next_attempt_at <= now() "
    "ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
    "UPDATE deliveries AS d SET attempts = d.attempts + 1, lease_token = $2, "
    "next_attempt_at = now() + $3::interval, updated_at = now() "
    "FROM due WHERE d.id = due.id "
    "RETURNING d.id, d.channel, d.subscription_id, d.message_id, d.attempts, d.payload::text"
)


async def claim_due_deliveries(
    session: AsyncSession, *, limit: int, lease: timedelta, token: UUID
) -> list[ClaimedDelivery]:
    """Take up to ``limit`` due deliveries for one attempt each.

    The rows are locked with SKIP LOCKED (parallel workers take different ones), counted as
    one more attempt, stamped with ``token`` and hidden until the lease ends: if this worker
    dies before it records the outcome, any worker picks them up again after ``lease``.
    """
    connection = await driver_connection(session)
    records = await connection.fetch(_CLAIM_DUE, limit, token, lease)
    return [
        ClaimedDelivery(
            id=r["id"],
            channel=r["channel"],
            subscription_id=r["subscription_id"],
            message_id=r["message_id"],
            attempts=r["attempts"],
            payload=msgspec.json.decode(r["payload"]),
        )
        for r in records
    ]


async def subscriptions_by_ids(
    session: AsyncSession, ids: Sequence[UUID]
) -> dict[UUID, SubscriptionRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(SubscriptionRow).where(SubscriptionRow.id.in_(list(ids))))
    return {row.id: row for row in rows.all()}


# Attempts of deliveries removed meanwhile (their subscription was deleted) are not logged.
_INSERT_ATTEMPTS = (
    "INSERT INTO delivery_attempts "
    "(delivery_id, attempt, outcome, status_code, error, started_at, duration_ms) "
    "SELECT a.* FROM unnest($1::bigint[], $2::int[], $3::text[], $4::int[], $5::text[], "
    "$6::timestamptz[], $7::int[]) "
    "AS a(delivery_id, attempt, outcome, status_code, error, started_at, duration_ms) "
    "WHERE EXISTS (SELECT FROM deliveries d WHERE d.id = a.delivery_id)"
)
_FINISH_ATTEMPTS = (
    "UPDATE deliveries AS d SET state = a.state, lease_token = NULL, "
    "last_status = a.status_code, last_error = a.error, updated_at = now(), "
    "delivered_at = CASE WHEN a.state = 'succeeded' THEN now() ELSE d.delivered_at END, "
    "next_attempt_at = COALESCE(now() + a.retry_in, d.next_attempt_at) "
    "FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::interval[]) "
    "AS a(id, state, status_code, error, retry_in) "
    "WHERE d.id = a.id AND d.lease_token = $6 "
    "RETURNING d.id"
)


async def finish_attempts(
    session: AsyncSession, token: UUID, outcomes: Sequence[AttemptOutcome]
) -> set[int]:
    """Log the attempts and move each delivery on whose lease this worker still holds.

    Returns the ids of the deliveries moved on. A delivery missing from it lost its lease
    (another worker took it over): its attempt is still logged, its state is left to the
    current holder.
    """
    if not outcomes:
        return set()
    connection = await driver_connection(session)
    ids = [o.delivery_id for o in outcomes]
    errors = [o.error for o in outcomes]
    status_codes = [o.status_code for o in outcomes]
    await connection.execute(
        _INSERT_ATTEMPTS,
        ids,
        [o.attempt for o in outcomes],
        [o.outcome for o in outcomes],
        status_codes,
        errors,
        [o.started_at for o in outcomes],
        [o.duration_ms for o in outcomes],
    )
    records = await connection.fetch(
        _FINISH_ATTEMPTS,
        ids,
        [o.state for o in outcomes],
        status_codes,
        errors,
        [o.retry_in for o in outcomes],
        token,
    )
    return {record["id"] for record in records}


async def cancel_deliveries(
    session: AsyncSession, delivery_ids: Sequence[int], reason: str
) -> None:
    """Give up deliveries for good (their subscription is disabled or removed)."""
    if not delivery_ids:
        return
    await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.id.in_(list(delivery_ids)))
        .values(state="cancelled", lease_token=None, last_error=reason, updated_at=func.now())
    )


async def list_deliveries(
    session: AsyncSession, subscription_id: UUID, before_id: int | None, limit: int
) -> list[DeliveryRow]:
    """A subscription's deliveries, newest first."""
    query = select(DeliveryRow).where(DeliveryRow.subscription_id == subscription_id)
    if before_id is not None:
        query = query.where(DeliveryRow.id < before_id)
    query = query.order_by(DeliveryRow.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def attempts_of(
    session: AsyncSession, delivery_ids: Sequence[int]
) -> dict[int, list[DeliveryAttemptRow]]:
    """The attempts of several deliveries in one query, oldest first."""
    found: dict[int, list[DeliveryAttemptRow]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return found
    rows = await session.scalars(
        select(DeliveryAttemptRow)
        .where(DeliveryAttemptRow.delivery_id.in_(list(delivery_ids)))
        .order_by(DeliveryAttemptRow.delivery_id, DeliveryAttemptRow.id)
    )
    for row in rows.all():
        found[row.delivery_id].append(row)
    return found


async def get_delivery(
    session: AsyncSession, subscription_id: UUID, delivery_id: int
) -> DeliveryRow | None:
    query = select(DeliveryRow).where(
        DeliveryRow.id == delivery_id, DeliveryRow.subscription_id == subscription_id
    )
    return (await session.scalars(query)).one_or_none()


async def requeue_dead_delivery(session: AsyncSession, delivery_id: int) -> DeliveryRow | None:
    """Give a dead delivery a fresh round of attempts (same message id); None if not dead."""
    statement = (
        update(DeliveryRow)
        .where(DeliveryRow.id == delivery_id, DeliveryRow.state == "dead")
        .values(
            state="pending",
            attempts=0,
            next_attempt_at=func.now(),
            lease_token=None,
            updated_at=func.now(),
        )
        .returning(DeliveryRow)
    )
    return (await session.scalars(statement)).one_or_none()


async def delivery_counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """(channel, state) → number of deliveries, for pending and dead ones."""
    rows = await session.execute(
        select(DeliveryRow.channel, DeliveryRow.state, func.count())
        .where(DeliveryRow.state.in_(("pending", "dead")))
        .group_by(DeliveryRow.channel, DeliveryRow.state)
    )
    return {(channel, state): int(count) for channel, state, count in rows.all()}


async def purge_finished(session: AsyncSession, older_than: timedelta) -> int:
    """Delete outbox rows and finished deliveries older than ``older_than`` (dead ones stay)."""
    cutoff = func.now() - older_than
    deliveries = await session.execute(
        delete(DeliveryRow)
        .where(DeliveryRow.state.in_(("succeeded", "cancelled")), DeliveryRow.updated_at < cutoff)
        .returning(DeliveryRow.id)
    )
    outbox = await session.execute(
        delete(OutboxRow)
        .where(OutboxRow.processed_at.is_not(None), OutboxRow.processed_at < cutoff)
        .returning(OutboxRow.id)
    )
    return len(deliveries.all()) + len(outbox.all())
