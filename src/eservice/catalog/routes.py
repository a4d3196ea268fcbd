"""The public catalogue API: services and workflows, labels in German or English, cacheable."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog import service
from eservice.catalog.http import AcceptLanguage, IfNoneMatch, Lang, negotiate
from eservice.catalog.presenters import service_out, workflow_out
from eservice.catalog.schemas import ServiceOut, ServicePage, WorkflowOut
from eservice.core.pagination import (
    Cursor,
    Limit,
    check_limit,
    cut_page,
    decode_cursor,
)
from eservice.workflow.diagram import mermaid

TAGS = ["catalogue"]
MERMAID = "text/vnd.mermaid"
NOT_MODIFIED = ResponseSpec(None, description="the copy named by If-None-Match is current")
NOT_FOUND = ResponseSpec(None, description="no such published definition (problem+json)")

Version = Annotated[int | None, QueryParameter(name="version", ge=1, le=1_000_000)]


@get(
    "/api/v1/services",
    tags=TAGS,
    summary="Published services (current versions)",
    responses={
        200: ResponseSpec(ServicePage, description="a page of services"),
        304: NOT_MODIFIED,
    },
    media_type="application/json",
)
async def list_services(
    *,
    db_session: NamedDependency[AsyncSession],
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
    if_none_match: IfNoneMatch = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Response[bytes]:
    negotiated = negotiate(lang, accept_language, if_none_match)
    size = check_limit(limit)
    after = decode_cursor(cursor, tuple[str])
    services = await service.list_current_services(
        db_session, after=None if after is None else after[0], limit=size + 1
    )
    departments = await service.department_names(db_session)
    page, next_cursor = cut_page(services, size, lambda published: (published.code,))
    items = [service_out(s, negotiated.language, departments) for s in page]
    return negotiated.answer(ServicePage(items=items, next_cursor=next_cursor))


@get(
    "/api/v1/services/{code:str}",
    tags=TAGS,
    summary="A published service: the current version, or ?version=N",
    responses={
        200: ResponseSpec(ServiceOut, description="the service"),
        304: NOT_MODIFIED,
        404: NOT_FOUND,
    },
    media_type="application/json",
)
async def get_service(
    *,
    db_session: NamedDependency[AsyncSession],
    code: Annotated[str, PathParameter(max_length=64)],
    version: Version = None,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
    if_none_match: IfNoneMatch = None,
) -> Response[bytes]:
    negotiated = negotiate(lang, accept_language, if_none_match)
    published = await service.get_published_service(db_session, code, version)
    departments = await service.department_names(db_session)
    return negotiated.answer(service_out(published, negotiated.language, departments))


@get(
    "/api/v1/workflows/{name:str}",
    tags=TAGS,
    summary="A workflow definition (newest or ?version=N); ?format=mermaid for a state diagram",
    responses={
        200: ResponseSpec(WorkflowOut, description="the workflow"),
        304: NOT_MODIFIED,
        404: NOT_FOUND,
    },
    media_type="application/json",
)
async def get_workflow(
    *,
    db_session: NamedDependency[AsyncSession],
    name: Annotated[str, PathParameter(max_length=64)],
    version: Version = None,
    output: Annotated[Literal["json", "mermaid"] | None, QueryParameter(name="format")] = None,
    accept: Annotated[str | None, HeaderParameter(name="Accept", max_length=1024)] = None,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
    if_none_match: IfNoneMatch = None,
) -> Response[bytes]:
    negotiated = negotiate(lang, accept_language, if_none_match)
    workflow = await service.get_published_workflow(db_session, name, version)
    if output == "mermaid":
        media_type = MERMAID if accept and MERMAID in accept else "text/plain; charset=utf-8"
        diagram = mermaid(workflow, negotiated.language)
        return negotiated.answer(None, media_type=media_type, text=diagram)
    return negotiated.answer(workflow_out(workflow, negotiated.language))


routes = [list_services, get_service, get_workflow]
