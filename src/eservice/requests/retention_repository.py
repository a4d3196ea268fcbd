"""The SQL of forgetting requests: candidates of a retention run, deleting, anonymising."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.audit import close_chains
from eservice.requests.tables import (
    RequestContactRow,
    RequestEventRow,
    RequestRow,
    RequestTimerRow,
    TrackingTokenRow,
)

# What a pseudonymised citizen or a citizen-filed request points at once the person is gone.
NOBODY = UUID(int=0)


def _retention_due(as_of: date) -> ColumnElement[bool]:
    return and_(
        RequestRow.retention_until.is_not(None),
        RequestRow.retention_until <= as_of,
        RequestRow.anonymised_at.is_(None),
    )


def _draft_due(draft_cutoff: datetime) -> ColumnElement[bool]:
    return and_(RequestRow.submitted_at.is_(None), RequestRow.updated_at < draft_cutoff)


async def claim_due(
    session: AsyncSession, *, as_of: date, draft_cutoff: datetime, limit: int
) -> list[RequestRow]:
    """Lock up to ``limit`` requests past retention (or old drafts) that no one else holds.

    ``FOR UPDATE SKIP LOCKED``: several runs at once each take other requests; a request
    under legal hold is never taken.
    """
    query = (
        select(RequestRow)
        .where(
            or_(_retention_due(as_of), _draft_due(draft_cutoff)),
            RequestRow.legal_hold_at.is_(None),
        )
        .order_by(RequestRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(query))


async def list_due(
    session: AsyncSession,
    *,
    as_of: date,
    draft_cutoff: datetime,
    held: bool,
    after: UUID | None,
    limit: int,
) -> list[RequestRow]:
    """Requests a run would take (``held=False``) or skips for a legal hold, by id (dry run)."""
    hold = RequestRow.legal_hold_at.is_not(None) if held else RequestRow.legal_hold_at.is_(None)
    query = select(RequestRow).where(or_(_retention_due(as_of), _draft_due(draft_cutoff)), hold)
    if after is not None:
        query = query.where(RequestRow.id > after)
    return list(await session.scalars(query.order_by(RequestRow.id).limit(limit)))


async def event_ids(session: AsyncSession, request_id: UUID) -> list[int]:
    ids = await session.scalars(
        select(RequestEventRow.id).where(RequestEventRow.request_id == request_id)
    )
    return list(ids)


async def allow_forgetting(session: AsyncSession) -> None:
    """Declare this transaction a retention or erasure one: the history's guard trigger then
    lets it erase (never rewrite) entries, until the transaction ends."""
    await session.execute(text("SELECT set_config('eservice.forgetting', 'on', true)"))


async def delete_request(session: AsyncSession, request_id: UUID) -> None:
    """The request row; its history, timers and access log go with it (ON DELETE CASCADE)."""
    await allow_forgetting(session)
    await session.execute(delete(RequestRow).where(RequestRow.id == request_id))
    await close_chains(session, [f"request:{request_id}", f"access:{request_id}"])


async def anonymise_request(session: AsyncSession, request_id: UUID) -> None:
    """Keep the facts, drop the person: data, address, applicant, comments, event data."""
    await allow_forgetting(session)
    await session.execute(delete(RequestTimerRow).where(RequestTimerRow.request_id == request_id))
    await session.execute(
        delete(RequestContactRow).where(RequestContactRow.request_id == request_id)
    )
    await session.execute(delete(TrackingTokenRow).where(TrackingTokenRow.request_id == request_id))
    # A location stays only as a point rounded to about 100 m (statistics, maps); the address
    # and everything the applicant wrote go.
    coarse = text(
        "CASE WHEN location IS NULL THEN NULL ELSE jsonb_build_object("
        "'lat', round((location->>'lat')::numeric, 3), "
        "'lon', round((location->>'lon')::numeric, 3)) END"
    )
    await session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id)
        .values(
            data={},
            location=coarse,
            applicant_id=None,
            filed_by_id=text(
                f"CASE WHEN filed_by_kind = 'citizen' THEN '{NOBODY}'::uuid ELSE filed_by_id END"
            ),
            anonymised_at=func.now(),
            version=RequestRow.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(RequestEventRow)
        .where(RequestEventRow.request_id == request_id)
        .values(
            comment=None,
            data={},
            actor_id=text("CASE WHEN actor_kind = 'citizen' THEN NULL ELSE actor_id END"),
            erased_at=func.now(),
        )
        .execution_options(synchronize_session=False)
    )


async def pseudonymise_applicant(session: AsyncSession, user_id: UUID) -> None:
    """Requests and history entries of an erased account point at no one."""
    await allow_forgetting(session)
    await session.execute(
        update(RequestRow)
        .where(RequestRow.applicant_id == user_id)
        .values(applicant_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(RequestRow)
        .where(RequestRow.filed_by_kind == "citizen", RequestRow.filed_by_id == user_id)
        .values(filed_by_id=NOBODY)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(RequestEventRow)
        .where(RequestEventRow.actor_kind == "citizen", RequestEventRow.actor_id == user_id)
        .values(actor_id=None, erased_at=func.now())
        .execution_options(synchronize_session=False)
    )


async def requests_of(session: AsyncSession, user_id: UUID) -> list[RequestRow]:
    """Every request of an applicant, oldest first."""
    rows = await session.scalars(
        select(RequestRow)
        .where(RequestRow.applicant_id == user_id)
        .order_by(RequestRow.created_at, RequestRow.id)
    )
    return list(rows)


async def history_of(
    session: AsyncSession, request_ids: Sequence[UUID], *, public_only: bool
) -> dict[UUID, list[RequestEventRow]]:
    """The history of these requests, oldest first, by request."""
    if not request_ids:
        return {}
    query = select(RequestEventRow).where(RequestEventRow.request_id.in_(list(request_ids)))
    if public_only:
        query = query.where(RequestEventRow.visibility == "public")
    found: dict[UUID, list[RequestEventRow]] = {}
    for event in await session.scalars(query.order_by(RequestEventRow.id)):
        found.setdefault(event.request_id, []).append(event)
    return found


async def delete_contacts_closed_before(session: AsyncSession, closed_before: datetime) -> int:
    """Forget the reporters' contact data of reports closed before ``closed_before``."""
    closed = select(RequestRow.id).where(
        RequestRow.closed_at.is_not(None), RequestRow.closed_at < closed_before
    )
    result = await session.execute(
        delete(RequestContactRow).where(RequestContactRow.request_id.in_(closed))
    )
    return int(getattr(result, "rowcount", 0) or 0)
