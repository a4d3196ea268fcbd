"""Query parameters of OGC API - Features Part 1 (bbox, datetime, limit, f), parsed strictly.

Every refusal is a 400 that says what is wrong (OGC 17-069r4, /req/core/query-param-invalid
and /req/core/query-param-unknown), carrying the OGC exception's ``code`` and ``description``
next to the RFC 9457 fields.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from eservice.core.errors import BadRequest
from eservice.requests.publication import Box

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
OPEN_END = ".."

Format = Literal["json", "html"]


def invalid(detail: str, code: str = "InvalidParameterValue") -> BadRequest:
    """A 400 in the shape OGC API clients and RFC 9457 clients both read."""
    return BadRequest(detail, extra={"code": code, "description": detail})


def refuse_unknown(names: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = sorted(set(names) - allowed)
    if unknown:
        raise invalid(
            f"unknown query parameter(s): {', '.join(unknown)}; "
            f"this resource takes {', '.join(sorted(allowed))}",
            code="InvalidParameter",
        )


def parse_format(value: str | None, accept: str | None) -> Format:
    """``f=json|html``; without it, HTML only for a browser that prefers it."""
    if value is None:
        if accept and "text/html" in accept and "json" not in accept:
            return "html"
        return "json"
    if value not in ("json", "html"):
        raise invalid("f must be json or html")
    return "html" if value == "html" else "json"


def parse_limit(value: str | None) -> int:
    """1 or more; above the maximum the maximum is served (/req/core/fc-limit-response-1)."""
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise invalid(f"limit must be a whole number, not {value[:40]!r}") from None
    if limit < 1:
        raise invalid("limit must be at least 1")
    return min(limit, MAX_LIMIT)


def parse_bbox(value: str | None) -> Box | None:
    """Four (or six, height ignored) numbers in CRS84: west,south,east,north."""
    if value is None:
        return None
    parts = value.split(",")
    if len(parts) not in (4, 6):
        raise invalid("bbox must be four numbers (west,south,east,north) or six with heights")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise invalid("bbox must be comma-separated numbers") from None
    if not all(math.isfinite(n) for n in numbers):
        raise invalid("bbox must be finite numbers")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise invalid("bbox longitudes must lie between -180 and 180 (CRS84)")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise invalid("bbox latitudes must lie between -90 and 90 (CRS84)")
    if south > north:
        raise invalid("bbox: the southern edge lies north of the northern edge")
    return Box(west, south, east, north)


@dataclass(frozen=True)
class Interval:
    """A filter on the filing time: [start, end] (``end_exclusive``: [start, end))."""

    start: datetime | None
    end: datetime | None
    end_exclusive: bool = False


def _moment(text: str, *, end: bool) -> tuple[datetime, bool]:
    """An RFC 3339 date-time, or a full date meaning that whole day (UTC): (moment, exclusive)."""
    if "T" not in text.upper():
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise invalid(f"datetime: {text[:40]!r} is not an RFC 3339 date or date-time") from None
        start = datetime.combine(day, time(0), tzinfo=UTC)
        if not end:
            return start, False
        try:
            return start + timedelta(days=1), True
        except OverflowError:  # the last day there is: to its end
            return datetime.max.replace(tzinfo=UTC), False
    normalised = text.upper().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(normalised)
    except ValueError:
        raise invalid(f"datetime: {text[:40]!r} is not an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise invalid(f"datetime: {text[:40]!r} needs a time zone (e.g. Z)")
    return moment, False


def parse_datetime(value: str | None) -> Interval | None:
    """An instant, or an interval ``start/end`` with ``..`` (or nothing) for an open end."""
    if value is None:
        return None
    if len(value) > 100:
        raise invalid("datetime is too long")
    if "/" not in value:
        if value == OPEN_END:
            raise invalid("datetime: '..' is only allowed as one end of an interval")
        instant, _ = _moment(value, end=False)
        until, exclusive = _moment(value, end=True)
        return Interval(instant, until, exclusive)
    first, _, second = value.partition("/")
    if "/" in second:
        raise invalid("datetime: an interval has exactly one '/'")
    start = None if first in ("", OPEN_END) else _moment(first, end=False)[0]
    end_moment = None if second in ("", OPEN_END) else _moment(second, end=True)
    if start is None and end_moment is None:
        raise invalid("datetime: an interval needs at least one bounded end")
    end: datetime | None = None
    exclusive = False
    if end_moment is not None:
        end, exclusive = end_moment
    if start is not None and end is not None and start > end:
        raise invalid("datetime: the interval ends before it starts")
    return Interval(start, end, exclusive)
