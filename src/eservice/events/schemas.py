"""What the request lifecycle hands to notifications: one published event per change."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args
from uuid import UUID

import msgspec

EventType = Literal[
    "request.submitted",
    "request.transitioned",
    "request.commented",
    "request.assigned",
    "request.attachment_added",
    "request.overdue",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
NotifyTarget = Literal["applicant", "assignee", "department"]


class PublishedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A committed change of a request, as notifications see it. No personal data.

    ``event_id`` is the id of the row in the request's history (``request_events.id``).
    ``notify`` names whom the workflow wants told (email and inbox); webhooks and the live
    stream see every event their filters and permissions allow.
    """

    event_id: int
    type: EventType
    request_id: UUID
    reference: str
    service_code: str
    service_version: int
    department: str
    applicant_id: UUID | None
    assignee_id: UUID | None
    visibility: Literal["public", "internal"]
    occurred_at: datetime
    from_state: str | None = None
    to_state: str | None = None
    transition: str | None = None
    notify: tuple[NotifyTarget, ...] = ()
