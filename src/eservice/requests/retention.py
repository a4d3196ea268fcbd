"""What the requests context keeps and forgets: retention dates, and forgetting one request.

A request's retention date is its closing date (in the city's time zone) plus its service's
``retention``. At that date the retention run calls ``forget_request``: ``delete`` removes the
request with its history, timers and access log; ``anonymise`` keeps the facts statistics need
(service, department, states, dates, reference) and removes the personal data.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.definitions import Retention
from eservice.identity.principal import Principal
from eservice.requests import retention_repository
from eservice.requests.access import sees_internal
from eservice.requests.presenters import present_event, present_request, services_for

# The tables whose rows about a request or a person this context removes (see
# eservice.privacy.registry and its schema test).
FORGETS = frozenset(
    {
        "requests",
        "request_events",
        "request_timers",
        "request_access_log",
        "request_contacts",
        "tracking_tokens",
    }
)

Forgetting = Literal["delete", "anonymise"]


def add_period(start: date, retention: Retention) -> date:
    """``start`` plus years, months and days; the 31st plus a month is the month's last day."""
    months = start.month - 1 + retention.months + 12 * retention.years
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(days=retention.days)


def retention_date(closed_at: datetime, retention: Retention, time_zone: str) -> date:
    """The day the request's personal data goes: closing date + the service's retention."""
    return add_period(closed_at.astimezone(ZoneInfo(time_zone)).date(), retention)


async def forget_request(session: AsyncSession, request_id: UUID, action: Forgetting) -> None:
    """Delete the request, or anonymise it and its history (in the caller's transaction)."""
    if action == "delete":
        await retention_repository.delete_request(session, request_id)
    else:
        await retention_repository.anonymise_request(session, request_id)


async def expire_contacts(session: AsyncSession, closed_before: datetime) -> int:
    """Anonymous reporters' contact data of reports closed before ``closed_before`` (the
    privacy registry's contact expiry); returns how many contacts were forgotten."""
    return await retention_repository.delete_contacts_closed_before(session, closed_before)


async def history_ids(session: AsyncSession, request_id: UUID) -> list[int]:
    """The ids of the request's history entries (notifications name events by these)."""
    return await retention_repository.event_ids(session, request_id)


async def forget_applicant(session: AsyncSession, user_id: UUID) -> None:
    """An erased account: its requests and history entries no longer point at it."""
    await retention_repository.pseudonymise_applicant(session, user_id)


async def export_requests(
    session: AsyncSession, user_id: UUID, viewer: Principal
) -> list[dict[str, Any]]:
    """Every request of the person with the history ``viewer`` may see (Art. 15 export):
    a citizen exporting their own data sees what the API shows them; staff see everything."""
    rows = await retention_repository.requests_of(session, user_id)
    services = await services_for(session, rows)
    history = await retention_repository.history_of(
        session, [row.id for row in rows], public_only=not sees_internal(viewer)
    )
    exported = []
    for row in rows:
        request = present_request(row, services[(row.service_code, row.service_version)], viewer)
        exported.append(
            {
                "request": msgspec.to_builtins(request),
                "history": [
                    msgspec.to_builtins(present_event(event, viewer))
                    for event in history.get(row.id, [])
                ],
            }
        )
    return exported
