"""Processing-time statistics per service and month, with small groups withheld.

The raw figures are materialised per service and month (table open_data_monthly_statistics)
by :func:`refresh`: the worker runs it every half hour, ``eservice open-data refresh`` on
demand, and a read finding them older than :data:`STALE_AFTER` (no worker running) refreshes
first. Business days come from the SLA calendar (eservice.requests.deadlines), written as
ordinals into ``business_days`` so that SQL counts them with one subtraction.

Privacy: a figure drawn from fewer than ``min_count`` requests is withheld (null) and named
in ``suppressed``. No totals over months or services are published, so a withheld cell cannot
be recovered by subtracting published ones from a total; every cell is the same whatever
range is asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from asyncpg import Record
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.service import PublishedService, list_current_services
from eservice.core.config import Settings
from eservice.requests.deadlines import calendar_for
from eservice.requests.publication import UNPUBLISHED_STATES
from eservice.statistics import repository

STALE_AFTER = timedelta(hours=1)
MAX_MONTHS = 120
FIRST_YEAR, LAST_YEAR = 1990, 2999
_MONTH_RE = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
_MAX_SERVICES = 1000

# Which figure is drawn from which group of requests (the group's size decides suppression).
FROM_FILED = ("filed", "share_overdue_now")
FROM_CLOSED = (
    "closed",
    "median_business_days_to_close",
    "p90_business_days_to_close",
    "share_closed_within_sla",
)


class StatisticsRequestError(ValueError):
    """A bad month range or an unknown service (the adapter answers 400)."""


@dataclass(frozen=True)
class MonthlyFigures:
    """One service in one month, as published: withheld figures are None."""

    service: str
    service_title_de: str
    service_title_en: str
    month: date
    filed: int | None
    closed: int | None
    median_business_days_to_close: float | None
    p90_business_days_to_close: float | None
    share_closed_within_sla: float | None
    share_overdue_now: float | None
    suppressed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    first: date
    last: date
    min_count: int
    refreshed_at: datetime | None
    rows: list[MonthlyFigures]


def parse_month(value: str, name: str) -> date:
    match = _MONTH_RE.match(value)
    if match is None:
        raise StatisticsRequestError(f"{name} must be a month as YYYY-MM, not {value[:20]!r}")
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise StatisticsRequestError(f"{name} must lie between {FIRST_YEAR} and {LAST_YEAR}")
    return date(year, int(match.group(2)), 1)


def months(first: date, last: date) -> list[date]:
    out: list[date] = []
    current = first
    while current <= last:
        out.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return out


def month_range(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """from/to as months; by default the twelve months up to this one."""
    last = parse_month(end, "to") if end else date(today.year, today.month, 1)
    if start:
        first = parse_month(start, "from")
    else:
        back = last.year * 12 + last.month - 1 - 11
        first = date(back // 12, back % 12 + 1, 1)
    if first > last:
        raise StatisticsRequestError("from must not be after to")
    if len(months(first, last)) > MAX_MONTHS:
        raise StatisticsRequestError(f"at most {MAX_MONTHS} months at once")
    return first, last


def suppress(
    published: PublishedService, month: date, raw: Record | None, min_count: int
) -> MonthlyFigures:
    """The figures of one cell, each withheld when its group is smaller than ``min_count``."""
    filed = raw["filed"] if raw else 0
    closed = raw["closed"] if raw else 0
    values: dict[str, float | int | None] = {
        "filed": filed,
        "share_overdue_now": round(raw["overdue_now"] / filed, 3) if raw and filed else None,
        "closed": closed,
        "median_business_days_to_close": _days(raw["median_business_days"]) if raw else None,
        "p90_business_days_to_close": _days(raw["p90_business_days"]) if raw else None,
        "share_closed_within_sla": round(raw["closed_within_sla"] / closed, 3)
        if raw and closed
        else None,
    }
    suppressed: list[str] = []
    for names, size in ((FROM_FILED, filed), (FROM_CLOSED, closed)):
        if size < min_count:
            for name in names:
                values[name] = None
                suppressed.append(name)
    title = published.definition.title
    return MonthlyFigures(
        service=published.code,
        service_title_de=title.de,
        service_title_en=title.en,
        month=month,
        filed=_int(values["filed"]),
        closed=_int(values["closed"]),
        median_business_days_to_close=_float(values["median_business_days_to_close"]),
        p90_business_days_to_close=_float(values["p90_business_days_to_close"]),
        share_closed_within_sla=_float(values["share_closed_within_sla"]),
        share_overdue_now=_float(values["share_overdue_now"]),
        suppressed=suppressed,
    )


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _int(value: float | int | None) -> int | None:
    return None if value is None else int(value)


def _float(value: float | int | None) -> float | None:
    return None if value is None else float(value)


async def refresh(session: AsyncSession, settings: Settings, now: datetime | None = None) -> None:
    """Recompute every monthly figure (waits for a refresh running elsewhere)."""
    await repository.lock_refresh(session, wait=True)
    await _recompute(session, settings, now or datetime.now(UTC))


async def _recompute(session: AsyncSession, settings: Settings, now: datetime) -> None:
    calendar = calendar_for(settings.holiday_subdivision, settings.time_zone)
    today = calendar.local_date(now)
    span = await repository.date_span(session, settings.time_zone)
    first, last = span if span else (today, today)
    day = first - timedelta(days=1)
    end = max(last, today) + timedelta(days=1)
    days: list[date] = []
    ordinals: list[int] = []
    ordinal = 0
    while day <= end:
        ordinal += calendar.is_business_day(day)
        days.append(day)
        ordinals.append(ordinal)
        day += timedelta(days=1)
    await repository.replace_business_days(session, days, ordinals)
    await repository.recompute(
        session, time_zone=settings.time_zone, excluded_states=sorted(UNPUBLISHED_STATES), now=now
    )


async def ensure_fresh(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Refresh when the figures are older than STALE_AFTER; while another process refreshes,
    serve what is there (or wait, when there is nothing yet)."""
    at = await repository.refreshed_at(session)
    if at is not None and now - at < STALE_AFTER:
        return
    if await repository.lock_refresh(session, wait=at is None):
        await _recompute(session, settings, now)


async def monthly_report(
    session: AsyncSession,
    settings: Settings,
    *,
    start: str | None,
    end: str | None,
    service: str | None,
    now: datetime | None = None,
) -> Report:
    """Per service and month in from..to: the published figures, small groups withheld."""
    moment = now or datetime.now(UTC)
    calendar = calendar_for(settings.holiday_subdivision, settings.time_zone)
    first, last = month_range(start, end, calendar.local_date(moment))
    services = await list_current_services(session, after=None, limit=_MAX_SERVICES)
    if service is not None:
        services = [s for s in services if s.code == service]
        if not services:
            raise StatisticsRequestError(f"there is no service {service[:64]!r}")
    await ensure_fresh(session, settings, moment)
    raw = await repository.monthly_figures(
        session, first=first, last=last, services=[s.code for s in services]
    )
    by_cell = {(r["service_code"], r["month"]): r for r in raw}
    rows = [
        suppress(s, month, by_cell.get((s.code, month)), settings.open_data_min_count)
        for s in services
        for month in months(first, last)
    ]
    return Report(
        first=first,
        last=last,
        min_count=settings.open_data_min_count,
        refreshed_at=await repository.refreshed_at(session),
        rows=rows,
    )


async def coverage(session: AsyncSession) -> tuple[date | None, datetime | None]:
    """The first month with figures and when they were last computed (for the catalogue)."""
    return await repository.first_month(session), await repository.refreshed_at(session)
