"""All SQL of the processing-time statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from asyncpg import Record
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.transaction import driver_connection

REFRESH_NAME = "monthly"
# Serialises refreshes across processes (any constant no other lock uses; "odst" in ASCII).
REFRESH_LOCK = 0x6F647374
REFRESH_TIMEOUT_MS = 600_000

_RECOMPUTE = """
WITH filed AS (
    SELECT service_code,
           date_trunc('month', submitted_at AT TIME ZONE $1)::date AS month,
           count(*) AS filed,
           count(*) FILTER (WHERE closed_at IS NULL AND due_at < $3) AS overdue_now
    FROM requests
    WHERE submitted_at IS NOT NULL AND state <> ALL($2::text[])
    GROUP BY 1, 2
), closed AS (
    SELECT r.service_code,
           date_trunc('month', r.closed_at AT TIME ZONE $1)::date AS month,
           count(*) AS closed,
           count(*) FILTER (WHERE r.due_at IS NULL OR r.closed_at <= r.due_at)
               AS closed_within_sla,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(0, c.ordinal - s.ordinal))
               AS median_business_days,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY greatest(0, c.ordinal - s.ordinal))
               AS p90_business_days
    FROM requests r
    JOIN business_days s ON s.day = (r.submitted_at AT TIME ZONE $1)::date
    JOIN business_days c ON c.day = (r.closed_at AT TIME ZONE $1)::date
    WHERE r.closed_at IS NOT NULL AND r.submitted_at IS NOT NULL
      AND r.state <> ALL($2::text[])
    GROUP BY 1, 2
)
INSERT INTO open_data_monthly_statistics (service_code, month, filed, overdue_now, closed,
    closed_within_sla, median_business_days, p90_business_days)
SELECT service_code, month, coalesce(f.filed, 0), coalesce(f.overdue_now, 0),
       coalesce(c.closed, 0), coalesce(c.closed_within_sla, 0),
       c.median_business_days, c.p90_business_days
FROM filed f FULL JOIN closed c USING (service_code, month)
"""


async def lock_refresh(session: AsyncSession, *, wait: bool) -> bool:
    """Take the refresh lock for this transaction; without ``wait``, False when it is taken."""
    connection = await driver_connection(session)
    if wait:
        await connection.execute("SELECT pg_advisory_xact_lock($1)", REFRESH_LOCK)
        return True
    taken: bool = await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", REFRESH_LOCK)
    return taken


async def refreshed_at(session: AsyncSession) -> datetime | None:
    connection = await driver_connection(session)
    moment: datetime | None = await connection.fetchval(
        "SELECT refreshed_at FROM open_data_refreshes WHERE name = $1", REFRESH_NAME
    )
    return moment


async def date_span(session: AsyncSession, time_zone: str) -> tuple[date, date] | None:
    """The first filing day and the last closing or filing day, in local time."""
    connection = await driver_connection(session)
    row = await connection.fetchrow(
        "SELECT min((submitted_at AT TIME ZONE $1)::date) AS first, "
        "max((coalesce(closed_at, submitted_at) AT TIME ZONE $1)::date) AS last "
        "FROM requests WHERE submitted_at IS NOT NULL",
        time_zone,
    )
    if row is None or row["first"] is None:
        return None
    return row["first"], row["last"]


async def replace_business_days(
    session: AsyncSession, days: Sequence[date], ordinals: Sequence[int]
) -> None:
    connection = await driver_connection(session)
    await connection.execute("DELETE FROM business_days")
    await connection.execute(
        "INSERT INTO business_days (day, ordinal) SELECT * FROM unnest($1::date[], $2::int[])",
        list(days),
        list(ordinals),
    )


async def recompute(
    session: AsyncSession, *, time_zone: str, excluded_states: Sequence[str], now: datetime
) -> None:
    """Replace every monthly figure with one computed from the requests as they are now."""
    connection = await driver_connection(session)
    # One pass over every request: seconds at a million (bench/README.md), more than the
    # API's statement timeout allows a request; this transaction is a background job's. JIT
    # compilation was seen to add seconds to this statement on a busy machine, never to save.
    await connection.execute(f"SET LOCAL statement_timeout = {REFRESH_TIMEOUT_MS}")
    await connection.execute("SET LOCAL jit = off")
    await connection.execute("DELETE FROM open_data_monthly_statistics")
    await connection.execute(_RECOMPUTE, time_zone, list(excluded_states), now)
    await connection.execute(
        "INSERT INTO open_data_refreshes (name, refreshed_at) VALUES ($1, $2) "
        "ON CONFLICT (name) DO UPDATE SET refreshed_at = excluded.refreshed_at",
        REFRESH_NAME,
        now,
    )


async def monthly_figures(
    session: AsyncSession, *, first: date, last: date, services: Sequence[str]
) -> list[Record]:
    """The stored figures of ``services`` for the months first..last (month starts)."""
    connection = await driver_connection(session)
    return list(
        await connection.fetch(
            "SELECT service_code, month, filed, overdue_now, closed, closed_within_sla, "
            "median_business_days, p90_business_days FROM open_data_monthly_statistics "
            "WHERE month BETWEEN $1 AND $2 AND service_code = ANY($3::text[])",
            first,
            last,
            list(services),
        )
    )


async def first_month(session: AsyncSession) -> date | None:
    connection = await driver_connection(session)
    month: date | None = await connection.fetchval(
        "SELECT min(month) FROM open_data_monthly_statistics"
    )
    return month
