"""Request lists and the clerk queues API: the requests a caller may see, department counts,
filtered queue lists, claiming the next request."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.deps import AnyRequest
from eservice.core.pagination import Cursor, Limit, Page
from eservice.identity.authentication import CALLER, caller
from eservice.identity.principal import Principal
from eservice.queues import service
from eservice.queues.params import (
    AssigneeFilter,
    OverdueFilter,
    ServiceFilter,
    SortParam,
    StateFilter,
    TextFilter,
    list_query,
)
from eservice.queues.schemas import QueueSummary
from eservice.requests.http import etag
from eservice.requests.presenters import present_request, present_requests, services_for
from eservice.requests.schemas import RequestOut
from eservice.requests.tables import RequestRow

TAGS = ["queues"]
Session = NamedDependency[AsyncSession]
Department = Annotated[str, PathParameter(max_length=64)]


async def _page(
    session: AsyncSession, principal: Principal, rows: list[RequestRow], next_cursor: str | None
) -> Page[RequestOut]:
    services = await services_for(session, rows)
    return Page(items=present_requests(rows, services, principal), next_cursor=next_cursor)


@get("/api/v1/requests", tags=["requests"], summary="Requests the caller may see", opt=CALLER)
async def list_visible_requests(
    request: AnyRequest,
    db_session: Session,
    *,
    state_filter: StateFilter = None,
    service_code: ServiceFilter = None,
    assignee: AssigneeFilter = None,
    overdue: OverdueFilter = None,
    q: TextFilter = None,
    sort: SortParam = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[RequestOut]:
    principal = caller(request)
    query = list_query(
        default_sort="created_at",
        state=state_filter,
        service=service_code,
        assignee=assignee,
        overdue=overdue,
        q=q,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    rows, next_cursor = await service.list_requests(
        db_session,
        principal,
        query.filters,
        sort=query.sort,
        cursor=query.cursor,
        limit=query.limit,
    )
    return await _page(db_session, principal, rows, next_cursor)


@get(
    "/api/v1/queues",
    tags=TAGS,
    summary="Per department: counts by state, unassigned, overdue",
    opt=CALLER,
)
async def list_queues(db_session: Session, request: AnyRequest) -> Page[QueueSummary]:
    principal = caller(request)
    return Page(items=await service.queue_summaries(db_session, principal), next_cursor=None)


@get(
    "/api/v1/queues/{department:str}/requests",
    tags=TAGS,
    summary="A department's queue",
    opt=CALLER,
)
async def list_queue_requests(
    request: AnyRequest,
    department: Department,
    db_session: Session,
    *,
    state_filter: StateFilter = None,
    service_code: ServiceFilter = None,
    assignee: AssigneeFilter = None,
    overdue: OverdueFilter = None,
    q: TextFilter = None,
    sort: SortParam = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[RequestOut]:
    principal = caller(request)
    query = list_query(
        default_sort="due_at",
        state=state_filter,
        service=service_code,
        assignee=assignee,
        overdue=overdue,
        q=q,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    rows, next_cursor = await service.list_queue(
        db_session,
        principal,
        department,
        query.filters,
        sort=query.sort,
        cursor=query.cursor,
        limit=query.limit,
    )
    return await _page(db_session, principal, rows, next_cursor)


@post(
    "/api/v1/queues/{department:str}/claim",
    tags=TAGS,
    summary="Take the most urgent unassigned request (204 when none)",
    status_code=200,
    opt=CALLER,
)
async def claim_request(
    department: Department, db_session: Session, request: AnyRequest
) -> Response[RequestOut | None]:
    principal = caller(request)
    row = await service.claim_next(db_session, principal, department)
    if row is None:
        return Response(None, status_code=204)
    services = await services_for(db_session, [row])
    body = present_request(row, services[(row.service_code, row.service_version)], principal)
    return Response(body, headers={"ETag": etag(row.version)})


routes = [list_visible_requests, list_queues, list_queue_requests, claim_request]
