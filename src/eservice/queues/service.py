"""Request lists for everyone, and the clerk queues: counts, filtered lists, claiming work."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.errors import BadRequest, Forbidden, NotFound
from eservice.core.pagination import cut_page, decode_cursor
from eservice.identity.principal import Principal
from eservice.queues import repository
from eservice.queues.schemas import MAX_QUERY_LENGTH, SORTS, QueueSummary, RequestFilters, Scope
from eservice.requests.access import CLIENT_SCOPES, client_sees_all, event_actor, staff_role
from eservice.requests.assignment import may_work_on, record_assignment
from eservice.requests.repository import log_access
from eservice.requests.tables import RequestRow

Page = tuple[list[RequestRow], str | None]


def scope_of(principal: Principal) -> Scope:
    """The requests a caller's lists may contain (the same rule as for one request)."""
    if principal.is_citizen:
        return Scope(applicant_id=principal.id)
    if principal.is_staff:
        return Scope(departments=principal.departments, submitted_only=True)
    if client_sees_all(principal):
        return Scope(services=principal.services, submitted_only=True, or_filed_by=principal.id)
    if principal.scopes & CLIENT_SCOPES:
        return Scope(filed_by_id=principal.id, services=principal.services)
    return Scope(nothing=True)


def check_filters(principal: Principal, filters: RequestFilters, sort: str) -> None:
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
    if filters.assignee is not None and not principal.is_staff:
        raise BadRequest("the assignee filter is only for staff")
    if filters.q is not None and len(filters.q) > MAX_QUERY_LENGTH:
        raise BadRequest(f"q may be at most {MAX_QUERY_LENGTH} characters")


def _cursor_values(cursor: str | None, sort: str) -> tuple[Any, ...] | None:
    return decode_cursor(cursor, repository.CURSOR_SHAPES[sort])


async def _page(
    session: AsyncSession,
    principal: Principal,
    scope: Scope,
    *,
    filters: RequestFilters,
    sort: str,
    cursor: str | None,
    limit: int,
) -> Page:
    check_filters(principal, filters, sort)
    rows = await repository.list_requests(
        session,
        scope=scope,
        filters=filters,
        me=principal.id,
        sort=sort,
        after=_cursor_values(cursor, sort),
        limit=limit + 1,
    )
    rows, next_cursor = cut_page(rows, limit, lambda row: repository.sort_values(row, sort))
    if principal.is_staff:
        await log_access(
            session, principal.id, [row.id for row in rows], "list", role=staff_role(principal)
        )
    return rows, next_cursor


async def list_requests(
    session: AsyncSession,
    principal: Principal,
    filters: RequestFilters,
    *,
    sort: str,
    cursor: str | None,
    limit: int,
) -> Page:
    """``GET /requests``: the caller's own, their departments' or their scope's requests."""
    return await _page(
        session,
        principal,
        scope_of(principal),
        filters=filters,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )


def check_department(principal: Principal, department: str) -> None:
    """Staff of the department only; any other caller sees no such queue (404)."""
    if not principal.works_in(department):
        raise NotFound("No queue for this department.")


async def list_queue(
    session: AsyncSession,
    principal: Principal,
    department: str,
    filters: RequestFilters,
    *,
    sort: str,
    cursor: str | None,
    limit: int,
) -> Page:
    """``GET /queues/{department}/requests``: the department's filed requests."""
    check_department(principal, department)
    scope = Scope(departments=frozenset({department}), submitted_only=True)
    return await _page(
        session, principal, scope, filters=filters, sort=sort, cursor=cursor, limit=limit
    )


async def queue_summaries(session: AsyncSession, principal: Principal) -> list[QueueSummary]:
    """Per department of the caller: requests by state, open, unassigned and overdue."""
    if not principal.is_staff:
        raise Forbidden("Queues are for staff.")
    departments = sorted(principal.departments)
    summaries = {
        d: QueueSummary(department=d, counts={}, open=0, unassigned=0, overdue=0)
        for d in departments
    }
    counts = await repository.department_counts(session, departments)
    for department, state, count, still_open, unassigned, overdue in counts:
        summary = summaries[department]
        summary.counts[state] = count
        summary.open += still_open
        summary.unassigned += unassigned
        summary.overdue += overdue
    return list(summaries.values())


async def claim_next(
    session: AsyncSession, principal: Principal, department: str
) -> RequestRow | None:
    """Hand the most urgent unassigned open request to the calling clerk (None: queue empty)."""
    check_department(principal, department)
    if not may_work_on(principal, department):
        raise Forbidden("Only clerks and supervisors claim requests.")
    row = await repository.claim_most_urgent(session, department, principal.id, datetime.now(UTC))
    if row is None:
        return None
    await record_assignment(session, row, event_actor(principal, row), None, claimed=True)
    await log_access(session, principal.id, [row.id], "claim", role=staff_role(principal))
    return row
