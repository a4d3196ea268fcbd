"""A supervisor's legal hold: the request is kept past its retention date until released.

Placing and releasing a hold are recorded in the request's internal history with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.audit import record_admin_action
from eservice.core.errors import Conflict, Forbidden
from eservice.identity.principal import Principal
from eservice.requests import history, repository
from eservice.requests.access import event_actor, is_staff_of
from eservice.requests.tables import RequestRow
from eservice.requests.transitions import check_if_match, stale

HOLD_ROLES = frozenset({"supervisor", "admin"})


def _check_may_hold(principal: Principal, row: RequestRow, if_match: int | None) -> None:
    if not (is_staff_of(principal, row) and principal.roles & HOLD_ROLES):
        raise Forbidden("Only supervisors of the department place or release a legal hold.")
    if if_match is not None:
        check_if_match(row, if_match)
    if row.anonymised_at is not None:
        raise Conflict("This request has been anonymised; there is nothing left to hold.")


async def _change(
    session: AsyncSession, principal: Principal, row: RequestRow, values: dict[str, Any]
) -> RequestRow:
    updated = await repository.compare_and_set(
        session, row.id, version=row.version, state=row.state, values=values
    )
    if updated is None:
        raise stale()
    return updated


async def place_hold(
    session: AsyncSession, principal: Principal, row: RequestRow, reason: str, if_match: int | None
) -> RequestRow:
    """Hold the request (or change the reason of its hold)."""
    _check_may_hold(principal, row, if_match)
    now = datetime.now(UTC)
    updated = await _change(
        session,
        principal,
        row,
        {
            "legal_hold_reason": reason,
            "legal_hold_at": now,
            "legal_hold_by": principal.id,
            "updated_at": now,
        },
    )
    await history.record(
        session,
        updated,
        type="legal_hold_placed",
        actor=event_actor(principal, row),
        occurred_at=now,
        visibility="internal",
        data={"reason": reason},
    )
    await record_admin_action(
        session,
        actor_kind="staff",
        actor_id=principal.id,
        action="legal_hold.placed",
        target=str(row.id),
    )
    return updated


async def release_hold(
    session: AsyncSession, principal: Principal, row: RequestRow, if_match: int | None
) -> RequestRow:
    """Release the hold; retention applies again from the next run."""
    _check_may_hold(principal, row, if_match)
    if row.legal_hold_at is None:
        return row
    now = datetime.now(UTC)
    updated = await _change(
        session,
        principal,
        row,
        {
            "legal_hold_reason": None,
            "legal_hold_at": None,
            "legal_hold_by": None,
            "updated_at": now,
        },
    )
    await history.record(
        session,
        updated,
        type="legal_hold_released",
        actor=event_actor(principal, row),
        occurred_at=now,
        visibility="internal",
        data={"previous_reason": row.legal_hold_reason},
    )
    await record_admin_action(
        session,
        actor_kind="staff",
        actor_id=principal.id,
        action="legal_hold.released",
        target=str(row.id),
    )
    return updated
