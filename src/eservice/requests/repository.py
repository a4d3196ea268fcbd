"""All SQL of one request: rows, compare-and-set updates, history, timers, access log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.requests.tables import (
    OPEN_CONDITION,
    RequestAccessRow,
    RequestEventRow,
    RequestRow,
    RequestTimerRow,
)


async def insert_request(session: AsyncSession, values: dict[str, Any]) -> RequestRow:
    row: RequestRow | None = await session.scalar(
        insert(RequestRow).values(**values).returning(RequestRow)
    )
    assert row is not None
    return row


async def get_request(session: AsyncSession, request_id: UUID) -> RequestRow | None:
    """The current row (fresh from the database, never a stale cached object)."""
    row: RequestRow | None = await session.scalar(
        select(RequestRow)
        .where(RequestRow.id == request_id)
        .execution_options(populate_existing=True)
    )
    return row


async def compare_and_set(
    session: AsyncSession,
    request_id: UUID,
    *,
    version: int,
    state: str,
    values: dict[str, Any],
) -> RequestRow | None:
    """One UPDATE ... WHERE id, version and state still match; None when someone else won."""
    row: RequestRow | None = await session.scalar(
        update(RequestRow)
        .where(
            RequestRow.id == request_id,
            RequestRow.version == version,
            RequestRow.state == state,
        )
        .values(version=RequestRow.version + 1, **values)
        .returning(RequestRow)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return row


async def insert_event(session: AsyncSession, values: dict[str, Any]) -> RequestEventRow:
    row: RequestEventRow | None = await session.scalar(
        insert(RequestEventRow).values(**values).returning(RequestEventRow)
    )
    assert row is not None
    return row


async def list_events(
    session: AsyncSession,
    request_id: UUID,
    *,
    after_id: int | None,
    limit: int,
    public_only: bool,
) -> list[RequestEventRow]:
    """One page of the history, oldest first (``limit`` rows; ask for one more to peek)."""
    query = select(RequestEventRow).where(RequestEventRow.request_id == request_id)
    if public_only:
        query = query.where(RequestEventRow.visibility == "public")
    if after_id is not None:
        query = query.where(RequestEventRow.id > after_id)
    return list(await session.scalars(query.order_by(RequestEventRow.id).limit(limit)))


async def delete_timers(session: AsyncSession, request_id: UUID) -> None:
    await session.execute(delete(RequestTimerRow).where(RequestTimerRow.request_id == request_id))


async def insert_timer(
    session: AsyncSession, request_id: UUID, *, state: str, transition: str, seconds: int
) -> None:
    await session.execute(
        insert(RequestTimerRow).values(
            request_id=request_id,
            state=state,
            transition=transition,
            due_at=func.now() + timedelta(seconds=seconds),
        )
    )


async def claim_due_timer(session: AsyncSession) -> RequestTimerRow | None:
    """Lock the most overdue timer no other worker holds (FOR UPDATE SKIP LOCKED)."""
    row: RequestTimerRow | None = await session.scalar(
        select(RequestTimerRow)
        .where(RequestTimerRow.due_at <= func.now())
        .order_by(RequestTimerRow.due_at, RequestTimerRow.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return row


async def postpone_timer(session: AsyncSession, timer_id: int, seconds: int) -> None:
    await session.execute(
        update(RequestTimerRow)
        .where(RequestTimerRow.id == timer_id)
        .values(due_at=func.now() + timedelta(seconds=seconds))
    )


async def delete_timer(session: AsyncSession, timer_id: int) -> None:
    await session.execute(delete(RequestTimerRow).where(RequestTimerRow.id == timer_id))


async def claim_overdue(session: AsyncSession, limit: int) -> list[RequestRow]:
    """Mark up to ``limit`` requests whose deadline passed as overdue, once each; return them."""
    pending = (
        select(RequestRow.id)
        .where(
            text(OPEN_CONDITION),
            RequestRow.sla_state == "runs",
            RequestRow.overdue_at.is_(None),
            RequestRow.due_at < func.now(),
        )
        .order_by(RequestRow.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = await session.scalars(
        update(RequestRow)
        .where(RequestRow.id.in_(pending), RequestRow.overdue_at.is_(None))
        .values(overdue_at=func.now())
        .returning(RequestRow)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return list(rows)


_LOG_ACCESS = text(
    f"INSERT INTO {RequestAccessRow.__tablename__} (request_id, staff_id, action) "
    "SELECT unnest(CAST(:ids AS uuid[])), CAST(:staff AS uuid), :action"
)


async def log_access(
    session: AsyncSession, staff_id: UUID, request_ids: Sequence[UUID], action: str
) -> None:
    """Record that a staff member read these requests' personal data (one statement)."""
    if not request_ids:
        return
    # One INSERT ... SELECT unnest(...) for a whole page: an executemany costs a Bind/Execute
    # per row (about a tenth of the CPU of a queue-page request, see bench/README.md).
    await session.execute(
        _LOG_ACCESS, {"ids": list(request_ids), "staff": staff_id, "action": action}
    )
