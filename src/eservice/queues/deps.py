"""The list query of request lists and clerk queues: filters, sort, cursor and page size."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from eservice.core.errors import BadRequest
from eservice.core.pagination import Cursor, Limit, check_limit
from eservice.identity.principal import Principal
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


class ListQuery:
    """What a request list was asked for: filters, sort key, cursor and page size."""

    # A plain class, not a Struct: Litestar checks a dependency's value against its type with
    # msgspec, which cannot express the filters' ``"me" | "none" | UUID`` union.
    __slots__ = ("cursor", "filters", "limit", "sort")

    def __init__(self, filters: RequestFilters, sort: str, cursor: str | None, limit: int) -> None:
        self.filters = filters
        self.sort = sort
        self.cursor = cursor
        self.limit = limit


def list_query_provider(*, default_sort: str) -> Provide:
    """The ``list_query`` dependency: the eight list query parameters, checked, in one value."""

    # Litestar documents a dependency's parameters as the endpoint's own, so each list
    # endpoint keeps its full OpenAPI parameter list while the declaration lives here once.
    async def provide_list_query(
        *,
        state_filter: StateFilter = None,
        service_code: ServiceFilter = None,
        assignee: AssigneeFilter = None,
        overdue: OverdueFilter = None,
        q: TextFilter = None,
        sort: SortParam = None,
        cursor: Cursor = None,
        limit: Limit = None,
        principal: NamedDependency[Principal],  # after authentication: 401 before a 400
    ) -> ListQuery:
        # Depending on the principal also keeps the dependency chain single (core.deps).
        size = check_limit(limit)  # checked first, as the endpoints always did
        filters = filters_from_query(state_filter, service_code, assignee, overdue, q)
        return ListQuery(filters=filters, sort=sort or default_sort, cursor=cursor, limit=size)

    return Provide(provide_list_query)
