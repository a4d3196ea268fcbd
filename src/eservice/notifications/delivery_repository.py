"""All SQL about deliveries: insert, claim with a lease, record attempts, the delivery log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.notifications.tables import (
    DeliveryAttemptRow,
    DeliveryRow,
    OutboxRow,
    SubscriptionRow,
)


async def insert_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(DeliveryRow), rows)


async def claim_due_deliveries(
    session: AsyncSession, *, limit: int, lease: timedelta, token: UUID
) -> list[DeliveryRow]:
    """Take up to ``limit`` due deliveries for one attempt each.

    The rows are locked with SKIP LOCKED (parallel workers take different ones), counted as
    one more attempt, stamped with ``token`` and hidden until the lease ends: if this worker
    dies before it records the outcome, any worker picks them up again after ``lease``.
    """
    due = (
        select(DeliveryRow.id)
        .where(DeliveryRow.state == "pending", DeliveryRow.next_attempt_at <= func.now())
        .order_by(DeliveryRow.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    statement = (
        update(DeliveryRow)
        .where(DeliveryRow.id.in_(select(due.c.id)))
        .values(
            attempts=DeliveryRow.attempts + 1,
            lease_token=token,
            next_attempt_at=func.now() + lease,
            updated_at=func.now(),
        )
        .returning(DeliveryRow)
    )
    return list((await session.scalars(statement)).all())


async def subscriptions_by_ids(
    session: AsyncSession, ids: Sequence[UUID]
) -> dict[UUID, SubscriptionRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(SubscriptionRow).where(SubscriptionRow.id.in_(list(ids))))
    return {row.id: row for row in rows.all()}


async def finish_attempt(
    session: AsyncSession,
    *,
    delivery_id: int,
    token: UUID,
    attempt: int,
    outcome: str,
    status_code: int | None,
    error: str | None,
    started_at: datetime,
    duration_ms: int,
    state: str,
    retry_in: timedelta | None,
) -> bool:
    """Record one attempt and move the delivery on, if this worker still holds its lease.

    Returns False when the lease was lost (another worker took the delivery over); the
    attempt is still logged, the delivery's state is left to the current holder.
    """
    await session.execute(
        insert(DeliveryAttemptRow).from_select(
            [
                "delivery_id",
                "attempt",
                "outcome",
                "status_code",
                "error",
                "started_at",
                "duration_ms",
            ],
            select(
                literal(delivery_id),
                literal(attempt),
                literal(outcome),
                literal(status_code),
                literal(error),
                literal(started_at),
                literal(duration_ms),
            ).where(exists().where(DeliveryRow.id == delivery_id)),
        )
    )
    values: dict[str, Any] = {
        "state": state,
        "lease_token": None,
        "last_status": status_code,
        "last_error": error,
        "updated_at": func.now(),
    }
    if state == "succeeded":
        values["delivered_at"] = func.now()
    if retry_in is not None:
        values["next_attempt_at"] = func.now() + retry_in
    result = await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.id == delivery_id, DeliveryRow.lease_token == token)
        .values(values)
        .returning(DeliveryRow.id)
    )
    return result.first() is not None


async def cancel_delivery(session: AsyncSession, delivery_id: int, reason: str) -> None:
    await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.id == delivery_id)
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
