"""The query parameters of request lists and clerk queues: filters, sort, cursor, page size.

Both list endpoints declare these parameters (so OpenAPI documents them) and hand them to
``list_query``, which checks them into one ``ListQuery``.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar.params import QueryParameter

from eservice.core.errors import BadRequest
from eservice.core.pagination import check_limit
from eservice.queues.schemas import RequestFilters, Sort

StateFilter = Annotated[
    str | None,
    QueryParameter(
        name="state",
        max_length=64,
        required=False,
        description="A state of the service's workflow (a name no workflow has matches nothing).",
    ),
]
ServiceFilter = Annotated[str | None, QueryParameter(name="service", max_length=64, required=False)]
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
AssigneeFilter = Annotated[
    str | None,
    QueryParameter(
        name="assignee",
        max_length=64,
        pattern=f"^(?:me|none|{UUID_PATTERN})$",
        required=False,
        description="me, none or a staff id; staff only (400 for other callers).",
    ),
]
OverdueFilter = Annotated[bool | None, QueryParameter(name="overdue", required=False)]
TextFilter = Annotated[
    str | None,
    QueryParameter(name="q", max_length=100, required=False, description="in reference and title"),
]
SortParam = Annotated[Sort | None, QueryParameter(name="sort", required=False)]


def filters_from_query(
    state: str | None,
    service: str | None,
    assignee: str | None,
    overdue: bool | None,
    q: str | None,
) -> RequestFilters:
    """The list filters, 400 when ``assignee`` is neither me, none nor an id."""
    who: str | UUID | None = assignee
    if assignee is not None and assignee not in ("me", "none"):
        try:
            who = UUID(assignee)
        except ValueError:
            raise BadRequest("assignee must be me, none or a staff id") from None
    return RequestFilters(
        state=state,
        service=service,
        assignee=who,  # type: ignore[arg-type]
        overdue=overdue,
        q=q or None,
    )


class ListQuery(msgspec.Struct, frozen=True, kw_only=True):
    """What a request list was asked for: filters, sort key, cursor and page size."""

    filters: RequestFilters
    sort: str
    cursor: str | None
    limit: int


def list_query(
    *,
    default_sort: str,
    state: str | None,
    service: str | None,
    assignee: str | None,
    overdue: bool | None,
    q: str | None,
    sort: str | None,
    cursor: str | None,
    limit: int | None,
) -> ListQuery:
    """The list query of both request lists, checked: 400 for a bad limit or assignee."""
    size = check_limit(limit)  # checked first, as the endpoints always did
    filters = filters_from_query(state, service, assignee, overdue, q)
    return ListQuery(filters=filters, sort=sort or default_sort, cursor=cursor, limit=size)
