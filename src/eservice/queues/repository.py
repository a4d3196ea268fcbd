"""All SQL over many requests: filtered keyset lists, department counts, claiming work.

Every list is one SELECT whatever the page size (``limit + 1`` rows, to know whether a next
page exists without counting). Claiming uses ``FOR UPDATE SKIP LOCKED`` so concurrent claims
never hand out the same request and together drain the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    DateTime,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.pagination import TzDatetime
from eservice.queues.schemas import RequestFilters, Scope
from eservice.requests.tables import OPEN_CONDITION, RequestRow

INFINITY = text("'infinity'::timestamptz")


def _due() -> ColumnElement[Any]:
    return func.coalesce(RequestRow.due_at, INFINITY)


# A sort is a list of (column, ascending, kind); kind tells how to read a cursor value.
SORT_KEYS: dict[str, list[tuple[str, bool, str]]] = {
    "due_at": [("due_at", True, "time"), ("id", True, "uuid")],
    "priority": [("priority", False, "int"), ("due_at", True, "time"), ("id", True, "uuid")],
    "submitted_at": [("submitted_at", True, "time"), ("id", True, "uuid")],
    "created_at": [("created_at", False, "time"), ("id", False, "uuid")],
}

_KIND_TYPES: dict[str, Any] = {"time": TzDatetime | None, "uuid": UUID, "int": int}
# What a cursor of each sort holds, for ``decode_cursor``: e.g. (due_at or null, id).
CURSOR_SHAPES: dict[str, Any] = {
    sort: tuple[tuple(_KIND_TYPES[kind] for _, _, kind in keys)]  # type: ignore[misc]
    for sort, keys in SORT_KEYS.items()
}


def _column(name: str) -> ColumnElement[Any]:
    if name == "due_at":
        return _due()
    if name == "submitted_at":
        return func.coalesce(RequestRow.submitted_at, INFINITY)
    column: ColumnElement[Any] = getattr(RequestRow, name)
    return column


def _bound(name: str, kind: str, value: Any) -> ColumnElement[Any]:
    if kind == "time" and name in ("due_at", "submitted_at"):
        return func.coalesce(literal(value, DateTime(timezone=True)), INFINITY)
    return literal(value, _column(name).type)


def sort_values(row: RequestRow, sort: str) -> list[Any]:
    """The raw sort key of a row, for the cursor of the page that ends with it."""
    return [getattr(row, name) for name, _, _ in SORT_KEYS[sort]]


def _after(sort: str, values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the sort order.

    When every key runs the same way this is one row comparison, which the index answers
    directly; mixed directions expand to an OR, bounded by the first key so the index still
    narrows the scan.
    """
    keys = SORT_KEYS[sort]
    columns = [_column(name) for name, _, _ in keys]
    bounds = [
        _bound(name, kind, value) for (name, _, kind), value in zip(keys, values, strict=True)
    ]
    directions = {ascending for _, ascending, _ in keys}
    if directions == {True}:
        return tuple_(*columns) > tuple_(*bounds)
    if directions == {False}:
        return tuple_(*columns) < tuple_(*bounds)
    clauses: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for (_, ascending, _), column, bound in zip(keys, columns, bounds, strict=True):
        beyond = column > bound if ascending else column < bound
        clauses.append(and_(*equal, beyond))
        equal.append(column == bound)
    first = columns[0] >= bounds[0] if keys[0][1] else columns[0] <= bounds[0]
    return and_(first, or_(*clauses))


def _order(sort: str) -> list[ColumnElement[Any]]:
    return [
        _column(name).asc() if ascending else _column(name).desc()
        for name, ascending, _ in SORT_KEYS[sort]
    ]


def overdue_condition() -> ColumnElement[bool]:
    return and_(
        RequestRow.closed_at.is_(None),
        RequestRow.sla_state == "runs",
        RequestRow.due_at < func.now(),
    )


def _scope(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.nothing:
        return [false()]
    conditions: list[ColumnElement[bool]] = []
    if scope.applicant_id is not None:
        conditions.append(RequestRow.applicant_id == scope.applicant_id)
    if scope.filed_by_id is not None:
        conditions.append(RequestRow.filed_by_id == scope.filed_by_id)
    if scope.departments is not None:
        conditions.append(RequestRow.department.in_(sorted(scope.departments)))
    if scope.services is not None:
        conditions.append(RequestRow.service_code.in_(sorted(scope.services)))
    if scope.submitted_only and scope.or_filed_by is not None:
        conditions.append(
            or_(RequestRow.submitted_at.is_not(None), RequestRow.filed_by_id == scope.or_filed_by)
        )
    elif scope.submitted_only:
        conditions.append(RequestRow.submitted_at.is_not(None))
    return conditions


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters(filters: RequestFilters, me: UUID) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.state is not None:
        conditions.append(RequestRow.state == filters.state)
    if filters.service is not None:
        conditions.append(RequestRow.service_code == filters.service)
    if filters.assignee == "me":
        conditions.append(RequestRow.assignee_id == me)
    elif filters.assignee == "none":
        conditions.append(RequestRow.assignee_id.is_(None))
    elif isinstance(filters.assignee, UUID):
        conditions.append(RequestRow.assignee_id == filters.assignee)
    if filters.overdue is True:
        conditions.append(overdue_condition())
    elif filters.overdue is False:
        conditions.append(~overdue_condition())
    if filters.q:
        pattern = _like(filters.q)
        conditions.append(
            or_(
                RequestRow.reference.ilike(pattern, escape="\\"),
                RequestRow.title.ilike(pattern, escape="\\"),
            )
        )
    return conditions


async def list_requests(
    session: AsyncSession,
    *,
    scope: Scope,
    filters: RequestFilters,
    me: UUID,
    sort: str,
    after: Sequence[Any] | None,
    limit: int,
) -> list[RequestRow]:
    """One page (``limit`` rows) of the requests in scope matching the filters."""
    query = select(RequestRow).where(*_scope(scope), *_filters(filters, me), true())
    if after is not None:
        query = query.where(_after(sort, after))
    query = query.order_by(*_order(sort)).limit(limit)
    return list(await session.scalars(query.execution_options(populate_existing=True)))


async def department_counts(
    session: AsyncSession, departments: Sequence[str]
) -> list[tuple[str, str, int, int, int, int]]:
    """(department, state, requests, open, unassigned open, overdue) for filed requests."""
    is_open = RequestRow.closed_at.is_(None)
    query = (
        select(
            RequestRow.department,
            RequestRow.state,
            func.count(),
            func.count().filter(is_open),
            func.count().filter(and_(is_open, RequestRow.assignee_id.is_(None))),
            func.count().filter(overdue_condition()),
        )
        .where(RequestRow.department.in_(list(departments)), RequestRow.submitted_at.is_not(None))
        .group_by(RequestRow.department, RequestRow.state)
    )
    result = await session.execute(query)
    return [(d, s, int(n), int(p), int(u), int(o)) for d, s, n, p, u, o in result.all()]


async def claim_most_urgent(
    session: AsyncSession, department: str, assignee_id: UUID, now: datetime
) -> RequestRow | None:
    """Assign the most urgent unassigned open request of ``department``; None when none is left.

    Most urgent: highest priority, then earliest due date, then longest waiting.
    """
    candidate = (
        select(RequestRow.id)
        .where(
            RequestRow.department == department,
            RequestRow.assignee_id.is_(None),
            text(OPEN_CONDITION),
        )
        .order_by(
            RequestRow.priority.desc(),
            RequestRow.due_at.asc(),
            RequestRow.submitted_at.asc(),
            RequestRow.id.asc(),
        )
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row: RequestRow | None = await session.scalar(
        update(RequestRow)
        .where(RequestRow.id == candidate, RequestRow.assignee_id.is_(None))
        .values(assignee_id=assignee_id, version=RequestRow.version + 1, updated_at=now)
        .returning(RequestRow)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return row
