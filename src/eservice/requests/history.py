"""Appending to a request's history, and publishing what notifies anyone to the outbox.

Every change of a request writes exactly one history row; when the change notifies anyone,
one outbox row is published in the same transaction with ``event_id`` = the history row's id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.events.outbox import publish_event
from eservice.events.schemas import EventType, NotifyTarget, PublishedEvent
from eservice.identity.principal import Principal
from eservice.requests import contacts, repository
from eservice.requests.access import EventActor
from eservice.requests.tables import RequestEventRow, RequestRow

HistoryType = Literal[
    "filed",
    "submitted",
    "transitioned",
    "commented",
    "assigned",
    "attachment_added",
    "overdue",
    "legal_hold_placed",
    "legal_hold_released",
]
Visibility = Literal["public", "internal"]

_PUBLISHED: dict[str, EventType] = {
    "submitted": "request.submitted",
    "transitioned": "request.transitioned",
    "commented": "request.commented",
    "assigned": "request.assigned",
    "attachment_added": "request.attachment_added",
    "overdue": "request.overdue",
}


def staff_on_it(request: RequestRow) -> tuple[NotifyTarget, ...]:
    """Whoever works on ``request``: its assignee, else its department's staff."""
    return ("assignee",) if request.assignee_id is not None else ("department",)


def whom_to_notify(
    principal: Principal, request: RequestRow, *, public: bool
) -> tuple[NotifyTarget, ...]:
    """Whom to tell of what ``principal`` added to ``request`` (a comment, a file): staff tell
    the applicant of public additions, nobody of internal ones; applicants and API clients
    tell the staff working on it."""
    if principal.is_staff:
        return ("applicant",) if public else ()
    return staff_on_it(request)


def entry(
    request_id: UUID,
    *,
    type: HistoryType,
    actor: EventActor,
    occurred_at: datetime,
    visibility: Visibility = "public",
    from_state: str | None = None,
    to_state: str | None = None,
    transition: str | None = None,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The values of one history row (``request_events``)."""
    return {
        "request_id": request_id,
        "type": type,
        "visibility": visibility,
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_role": actor.role,
        "from_state": from_state,
        "to_state": to_state,
        "transition": transition,
        "comment": comment,
        "data": data or {},
        "occurred_at": occurred_at,
    }


def publication(
    request: RequestRow,
    values: dict[str, Any],
    event_id: int,
    notify: tuple[NotifyTarget, ...] = (),
) -> PublishedEvent | None:
    """The outbox event of a history row (``values``, see :func:`entry`), if it publishes one;
    ``request`` as it is after the change."""
    published = _PUBLISHED.get(values["type"])
    if published is None:
        return None
    return PublishedEvent(
        event_id=event_id,
        type=published,
        request_id=request.id,
        reference=request.reference,
        service_code=request.service_code,
        service_version=request.service_version,
        department=request.department,
        applicant_id=request.applicant_id,
        assignee_id=request.assignee_id,
        visibility=values["visibility"],
        occurred_at=values["occurred_at"],
        from_state=values["from_state"],
        to_state=values["to_state"],
        transition=values["transition"],
        notify=notify,
    )


def tells_contact(request: RequestRow, values: dict[str, Any], notify: tuple[str, ...]) -> bool:
    """A public change the applicant is to hear of, on a request without an account (its
    contact is told by email instead)."""
    return (
        "applicant" in notify and values["visibility"] == "public" and request.applicant_id is None
    )


async def record(
    session: AsyncSession,
    request: RequestRow,
    *,
    type: HistoryType,
    actor: EventActor,
    occurred_at: datetime,
    visibility: Visibility = "public",
    from_state: str | None = None,
    to_state: str | None = None,
    transition: str | None = None,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
    notify: tuple[NotifyTarget, ...] = (),
) -> RequestEventRow:
    """Append one history row for ``request`` (as it is after the change) and publish it."""
    values = entry(
        request.id,
        type=type,
        actor=actor,
        occurred_at=occurred_at,
        visibility=visibility,
        from_state=from_state,
        to_state=to_state,
        transition=transition,
        comment=comment,
        data=data,
    )
    event = await repository.insert_event(session, values)
    published = publication(request, values, event.id, notify)
    if published is not None:
        await publish_event(session, published)
    if tells_contact(request, values, notify):
        await contacts.tell_contact(session, request, type=type, comment=comment)
    return event
