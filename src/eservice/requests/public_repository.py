"""All SQL of the public listing of reports (Open311 GET requests, open data)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import msgspec
from sqlalchemy import Float, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.requests.tables import RequestEventRow, RequestRow

# (service code, service version, states): the rows of one status in one pinned version.
StatesOf = tuple[str, int, Sequence[str]]


class PublicFilter(msgspec.Struct, frozen=True, kw_only=True):
    """What a public listing asks for; ``references`` overrides everything else."""

    service_codes: Sequence[str]
    references: Sequence[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    states: Sequence[StatesOf] | None = None
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat


async def list_public_requests(
    session: AsyncSession, where: PublicFilter, *, limit: int, offset: int = 0
) -> list[RequestRow]:
    """Filed requests of the given services, newest first.

    The window on ``submitted_at`` runs over ``ix_requests_submitted`` in its order, so a page
    costs the same whatever the table holds; ``offset`` stays below the 1,000 rows a query may
    return at all.
    """
    query = select(RequestRow).where(
        RequestRow.submitted_at.is_not(None), RequestRow.service_code.in_(where.service_codes)
    )
    if where.references is not None:
        query = query.where(RequestRow.reference.in_(where.references))
    else:
        if where.start is not None:
            query = query.where(RequestRow.submitted_at >= where.start)
        if where.end is not None:
            query = query.where(RequestRow.submitted_at <= where.end)
        if where.states is not None:
            query = query.where(
                or_(
                    false(),
                    *(
                        and_(
                            RequestRow.service_code == code,
                            RequestRow.service_version == version,
                            RequestRow.state.in_(list(states)),
                        )
                        for code, version, states in where.states
                    ),
                )
            )
        if where.bbox is not None:
            min_lon, min_lat, max_lon, max_lat = where.bbox
            lat = RequestRow.location["lat"].astext.cast(Float)
            lon = RequestRow.location["lon"].astext.cast(Float)
            query = query.where(lat.between(min_lat, max_lat), lon.between(min_lon, max_lon))
    query = (
        query.order_by(RequestRow.submitted_at.desc(), RequestRow.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(await session.scalars(query))


async def public_history(
    session: AsyncSession, request_ids: Sequence[UUID]
) -> list[RequestEventRow]:
    """Public state changes and comments of the requests, oldest first, in one query."""
    if not request_ids:
        return []
    query = (
        select(RequestEventRow)
        .where(
            RequestEventRow.request_id.in_(list(request_ids)),
            RequestEventRow.visibility == "public",
            RequestEventRow.type.in_(["submitted", "transitioned", "commented"]),
        )
        .order_by(RequestEventRow.request_id, RequestEventRow.id)
    )
    return list(await session.scalars(query))
