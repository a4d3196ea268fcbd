"""Request lists and the clerk queues API: the requests a caller may see, department counts,
filtered queue lists, claiming the next request."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.pagination import Page
from eservice.identity.principal import Principal
from eservice.queues import service
from eservice.queues.deps import ListQuery, list_query_provider
from eservice.queues.schemas import QueueSummary
from eservice.requests.http import etag
from eservice.requests.presenters import present_request, present_requests, services_for
from eservice.requests.schemas import RequestOut
from eservice.requests.tables import RequestRow

TAGS = ["queues"]
Session = NamedDependency[AsyncSession]
Caller = NamedDependency[Principal]
Department = Annotated[str, PathParameter(max_length=64)]


async def _page(
    session: AsyncSession, principal: Principal, rows: list[RequestRow], next_cursor: str | None
) -> Page[RequestOut]:
    services = await services_for(session, rows)
    return Page(items=present_requests(rows, services, principal), next_cursor=next_cursor)


@get(
    "/api/v1/requests",
    tags=["requests"],
    summary="Requests the caller may see",
    dependencies={"list_query": list_query_provider(default_sort="created_at")},
)
async def list_visible_requests(
    db_session: Session, principal: Caller, list_query: NamedDependency[ListQuery]
) -> Page[RequestOut]:
    rows, next_cursor = await service.list_requests(
        db_session,
        principal,
        list_query.filters,
        sort=list_query.sort,
        cursor=list_query.cursor,
        limit=list_query.limit,
    )
    return await _page(db_session, principal, rows, next_cursor)


@get("/api/v1/queues", tags=TAGS, summary="Per department: counts by state, unassigned, overdue")
async def list_queues(db_session: Session, principal: Caller) -> Page[QueueSummary]:
    return Page(items=await service.queue_summaries(db_session, principal), next_cursor=None)


@get(
    "/api/v1/queues/{department:str}/requests",
    tags=TAGS,
    summary="A department's queue",
    dependencies={"list_query": list_query_provider(default_sort="due_at")},
)
async def list_queue_requests(
    department: Department,
    *,
    db_session: Session,
    principal: Caller,
    list_query: NamedDependency[ListQuery],
) -> Page[RequestOut]:
    rows, next_cursor = await service.list_queue(
        db_session,
        principal,
        department,
        list_query.filters,
        sort=list_query.sort,
        cursor=list_query.cursor,
        limit=list_query.limit,
    )
    return await _page(db_session, principal, rows, next_cursor)


@post(
    "/api/v1/queues/{department:str}/claim",
    tags=TAGS,
    summary="Take the most urgent unassigned request (204 when none)",
    status_code=200,
)
async def claim_request(
    department: Department, db_session: Session, principal: Caller
) -> Response[RequestOut | None]:
    row = await service.claim_next(db_session, principal, department)
    if row is None:
        return Response(None, status_code=204)
    services = await services_for(db_session, [row])
    body = present_request(row, services[(row.service_code, row.service_version)], principal)
    return Response(body, headers={"ETag": etag(row.version)})


routes = [list_visible_requests, list_queues, list_queue_requests, claim_request]
