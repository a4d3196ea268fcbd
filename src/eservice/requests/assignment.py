"""Who works on a request. Assignment distributes work; it is not a lock on the request."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from eservice.identity.principal import Principal
from eservice.identity.repository import get_user
from eservice.identity.service import principal_for_user
from eservice.requests import history, repository
from eservice.requests.access import EventActor, event_actor, is_staff_of
from eservice.requests.tables import RequestRow
from eservice.requests.transitions import check_if_match, stale

CLAIM_ROLES = frozenset({"clerk", "supervisor", "admin"})
REASSIGN_ROLES = frozenset({"supervisor", "admin"})


def may_work_on(principal: Principal, department: str) -> bool:
    """Staff of ``department`` with a role that processes requests."""
    return principal.works_in(department) and bool(principal.roles & CLAIM_ROLES)


async def check_assignee(session: AsyncSession, assignee_id: UUID, department: str) -> None:
    """The new assignee must be an active staff member who works in the department."""
    user = await get_user(session, assignee_id)
    if user is None or not user.is_active or not may_work_on(principal_for_user(user), department):
        raise ValidationFailed(
            "The assignee must be a clerk or supervisor of the request's department.",
            errors=[FieldError("/assignee_id", "not a staff member of this department")],
        )


async def record_assignment(
    session: AsyncSession,
    row: RequestRow,
    actor: EventActor,
    previous: UUID | None,
    *,
    claimed: bool = False,
) -> None:
    """The internal history row and ``request.assigned`` for a new assignee."""
    await history.record(
        session,
        row,
        type="assigned",
        actor=actor,
        occurred_at=row.updated_at,
        visibility="internal",
        data={
            "assignee_id": None if row.assignee_id is None else str(row.assignee_id),
            "previous_assignee_id": None if previous is None else str(previous),
            "claimed": claimed,
        },
        notify=("assignee",) if row.assignee_id is not None else (),
    )


async def set_assignee(
    session: AsyncSession,
    principal: Principal,
    row: RequestRow,
    if_match: int | None,
    assignee_id: UUID | None,
) -> RequestRow:
    """Clerks take or give back their own work; supervisors assign anyone of the department."""
    if not (is_staff_of(principal, row) and principal.roles & CLAIM_ROLES):
        raise Forbidden("Only clerks and supervisors of the department assign requests.")
    check_if_match(row, if_match)
    if row.closed_at is not None:
        raise Conflict("This request is closed; its assignee can no longer change.")
    if not principal.roles & REASSIGN_ROLES:
        taking = assignee_id == principal.id and row.assignee_id in (None, principal.id)
        returning = assignee_id is None and row.assignee_id == principal.id
        if not (taking or returning):
            raise Forbidden("Clerks may only assign themselves or give back their own requests.")
    if assignee_id == row.assignee_id:
        return row
    if assignee_id is not None and assignee_id != principal.id:
        await check_assignee(session, assignee_id, row.department)
    previous = row.assignee_id
    updated = await repository.compare_and_set(
        session,
        row.id,
        version=row.version,
        state=row.state,
        values={"assignee_id": assignee_id, "updated_at": datetime.now(UTC)},
    )
    if updated is None:
        raise stale()
    await record_assignment(session, updated, event_actor(principal, row), previous)
    return updated
