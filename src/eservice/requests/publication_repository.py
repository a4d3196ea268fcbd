"""SQL of the published view of requests: filed requests with a location, without personal data.

Only the columns listed here ever leave the database on this path: no applicant, no form
data, no address line, no comments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from asyncpg import Record
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.transaction import driver_connection
from eservice.requests.tables import PUBLISHABLE_CONDITION as PUBLISHABLE

# The partial indexes of migration 0009 (ix_requests_location, ..._publishable_submitted)
# match these expressions exactly.
POINT = "point((location->>'lon')::float8, (location->>'lat')::float8)"
_COLUMNS = (
    "id, reference, service_code, state, department, submitted_at, updated_at, closed_at, "
    "due_at, (location->>'lon')::float8 AS lon, (location->>'lat')::float8 AS lat"
)


@dataclass(frozen=True)
class Box:
    """A longitude/latitude box in CRS84; ``west > east`` spans the antimeridian."""

    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True)
class FeatureQuery:
    """What to select: services and states to publish, and the client's filters."""

    services: Sequence[str]
    states: Sequence[str]
    box: Box | None = None
    start: datetime | None = None
    end: datetime | None = None  # inclusive
    end_exclusive: bool = False


@dataclass
class _Where:
    conditions: list[str] = field(default_factory=lambda: [PUBLISHABLE])
    arguments: list[Any] = field(default_factory=list)

    def bind(self, value: Any) -> str:
        self.arguments.append(value)
        return f"${len(self.arguments)}"

    @property
    def sql(self) -> str:
        return " AND ".join(self.conditions)


# Planner settings for one statement (SET LOCAL, then RESET to the session's value); see
# count_features and page_of_features for why. JIT and parallel workers only add start-up
# cost to a walk that stops after one page.
_INDEX_WALK = (
    "SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; "
    "SET LOCAL enable_bitmapscan = off; SET LOCAL jit = off; "
    "SET LOCAL max_parallel_workers_per_gather = 0"
)
_INDEX_WALK_DONE = (
    "RESET enable_seqscan; RESET enable_sort; RESET enable_bitmapscan; RESET jit; "
    "RESET max_parallel_workers_per_gather"
)
_NO_BITMAP = "SET LOCAL enable_bitmapscan = off; SET LOCAL jit = off"
_NO_BITMAP_DONE = "RESET enable_bitmapscan; RESET jit"


def _sql(head: str, where: _Where, tail: str = "") -> str:
    # Identifiers and operators are constants of this module; every value is bound.
    return f"{head} FROM requests WHERE {where.sql}{tail}"


def _where(query: FeatureQuery, *, spatial_index: bool = True) -> _Where:
    """The conditions of ``query``; the box as ``point <@ box`` for the GiST index, or (not
    ``spatial_index``) as plain comparisons that leave the plan to the B-tree order."""
    where = _Where()
    where.conditions.append(f"service_code = ANY({where.bind(list(query.services))}::text[])")
    where.conditions.append(f"state = ANY({where.bind(list(query.states))}::text[])")
    if query.box is not None:
        where.conditions.append(_box(where, query.box, spatial_index=spatial_index))
    if query.start is not None:
        where.conditions.append(f"submitted_at >= {where.bind(query.start)}")
    if query.end is not None:
        operator = "<" if query.end_exclusive else "<="
        where.conditions.append(f"submitted_at {operator} {where.bind(query.end)}")
    return where


def _box(where: _Where, box: Box, *, spatial_index: bool) -> str:
    south, north = where.bind(box.south), where.bind(box.north)
    west, east = where.bind(box.west), where.bind(box.east)
    if not spatial_index:
        joined = "AND" if box.west <= box.east else "OR"
        return (
            f"(location->>'lat')::float8 BETWEEN {south} AND {north} AND "
            f"((location->>'lon')::float8 >= {west} {joined} (location->>'lon')::float8 <= {east})"
        )
    if box.west <= box.east:
        return f"{POINT} <@ box(point({west}, {south}), point({east}, {north}))"
    return (
        f"({POINT} <@ box(point({west}, {south}), point(180, {north})) "
        f"OR {POINT} <@ box(point(-180, {south}), point({east}, {north})))"
    )


async def page_of_features(
    session: AsyncSession,
    query: FeatureQuery,
    *,
    after: tuple[datetime, UUID] | None,
    before: tuple[datetime, UUID] | None,
    limit: int,
    sparse: bool,
) -> list[Record]:
    """Up to ``limit`` rows in (submitted_at, id) order after ``after`` - or, going back, the
    ``limit`` rows just before ``before``, newest first.

    PostgreSQL estimates every ``point <@ box`` at a small fixed share of the rows, so the plan is
    chosen here from what the count found: a ``sparse`` box (few matches) is answered from the
    GiST index, its matches collected first and then ordered; a dense box (or none) walks the
    (submitted_at, id) index and filters, stopping after ``limit`` rows.
    """
    where = _where(query, spatial_index=sparse and query.box is not None)
    keyset: list[str] = []
    order = "submitted_at, id"
    if after is not None:
        keyset.append(f"(submitted_at, id) > ({where.bind(after[0])}, {where.bind(after[1])})")
    if before is not None:
        keyset.append(f"(submitted_at, id) < ({where.bind(before[0])}, {where.bind(before[1])})")
        order = "submitted_at DESC, id DESC"
    tail = f" ORDER BY {order} LIMIT {int(limit)}"
    connection = await driver_connection(session)
    if sparse and query.box is not None:
        matches = _sql(f"SELECT {_COLUMNS}", where)
        outer = f" WHERE {' AND '.join(keyset)}" if keyset else ""
        sql = f"WITH hits AS MATERIALIZED ({matches}) SELECT * FROM hits{outer}{tail}"  # noqa: S608
        return list(await connection.fetch(sql, *where.arguments))
    where.conditions.extend(keyset)
    sql = _sql(f"SELECT {_COLUMNS}", where, tail)
    # Dense: more than the cap match, so walking the (submitted_at, id) index finds a page
    # after a few rows per feature; the planner, which multiplies the box's range estimates
    # down to a handful of rows, would scan the whole table and sort instead (2.7 s at a
    # million). These settings hold for this statement only.
    await connection.execute(_INDEX_WALK)
    rows = list(await connection.fetch(sql, *where.arguments))
    await connection.execute(_INDEX_WALK_DONE)
    return rows


async def count_features(session: AsyncSession, query: FeatureQuery, *, cap: int) -> int:
    """How many rows the query matches, counting no further than ``cap + 1``.

    A bitmap scan of the GiST index reads every match before the LIMIT can stop it (3 s for a
    box around the whole city at a million requests); a plain index scan stops at ``cap + 1``.
    So bitmap scans are off for this one statement.
    """
    where = _where(query)
    connection = await driver_connection(session)
    sql = f"SELECT count(*) FROM ({_sql('SELECT 1', where)} LIMIT {int(cap) + 1}) AS m"  # noqa: S608
    await connection.execute(_NO_BITMAP)
    count: int = await connection.fetchval(sql, *where.arguments)
    # (After a failure the transaction is rolled back, and the settings with it.)
    await connection.execute(_NO_BITMAP_DONE)
    return count


async def find_feature(
    session: AsyncSession, query: FeatureQuery, request_id: UUID
) -> Record | None:
    """One published row by id, or None when it is not published (or does not exist)."""
    where = _where(query)
    where.conditions.append(f"id = {where.bind(request_id)}")
    connection = await driver_connection(session)
    row: Record | None = await connection.fetchrow(
        _sql(f"SELECT {_COLUMNS}", where),
        *where.arguments,
    )
    return row


async def extent(session: AsyncSession, query: FeatureQuery) -> Record:
    """The bounding box and the first and last filing time of the published rows."""
    where = _where(query)
    sql = _sql(
        "SELECT min((location->>'lon')::float8) AS west, min((location->>'lat')::float8) AS south, "
        "max((location->>'lon')::float8) AS east, max((location->>'lat')::float8) AS north, "
        "min(submitted_at) AS first, max(submitted_at) AS last",
        where,
    )
    connection = await driver_connection(session)
    row: Record = await connection.fetchrow(sql, *where.arguments)
    return row
