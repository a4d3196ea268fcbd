"""Filters, sorts and output shapes of request lists and clerk queues."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import msgspec

Sort = Literal["due_at", "priority", "submitted_at", "created_at"]
SORTS: tuple[str, ...] = ("due_at", "priority", "submitted_at", "created_at")
MAX_QUERY_LENGTH = 100


class RequestFilters(msgspec.Struct, frozen=True, kw_only=True):
    """What a list may be narrowed to. ``assignee`` is ``me``, ``none`` or a staff id."""

    state: str | None = None
    service: str | None = None
    assignee: Literal["me", "none"] | UUID | None = None
    overdue: bool | None = None
    q: str | None = None


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    """Which requests a list may contain at all, from who is asking.

    ``submitted_only`` hides drafts, except those filed by ``or_filed_by`` when it is set.
    """

    applicant_id: UUID | None = None
    filed_by_id: UUID | None = None
    departments: frozenset[str] | None = None
    services: frozenset[str] | None = None
    submitted_only: bool = False
    or_filed_by: UUID | None = None
    nothing: bool = False


class QueueSummary(msgspec.Struct, kw_only=True):
    """The load of one department: requests by state, open, unassigned and overdue ones."""

    department: str
    counts: dict[str, int]
    open: int
    unassigned: int
    overdue: int
