"""The requests API: file, follow, change, comment, transition, assign."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.http import choose_language
from eservice.catalog.service import get_published_service
from eservice.core.client_address import client_address
from eservice.core.config import Settings
from eservice.core.deps import AnyRequest, app_settings
from eservice.core.idempotency import IdempotencyKeyHeader, Produced, create_once
from eservice.core.pagination import Cursor, Limit, Page, check_limit
from eservice.identity.authentication import CALLER, OPTIONAL_CALLER, caller, optional_caller
from eservice.identity.principal import Principal
from eservice.requests import access_log, assignment, legal_hold, service, tracking, transitions
from eservice.requests.access_log import AccessEntryOut
from eservice.requests.http import (
    IfMatch,
    IfMatchRequired,
    etag,
    parse_if_match,
)
from eservice.requests.presenters import (
    present_event,
    present_request,
    present_transition,
)
from eservice.requests.schemas import (
    AssigneeIn,
    CommentIn,
    DraftPatchIn,
    EventOut,
    FilingIn,
    LegalHoldIn,
    PublicFilingOut,
    RequestOut,
    TransitionIn,
    TransitionOut,
)
from eservice.requests.tables import RequestRow

TAGS = ["requests"]
Session = NamedDependency[AsyncSession]


async def _answer(session: AsyncSession, row: RequestRow, principal: Principal) -> RequestOut:
    published = await get_published_service(session, row.service_code, row.service_version)
    return present_request(row, published, principal)


async def _with_etag(
    session: AsyncSession, row: RequestRow, principal: Principal
) -> Response[RequestOut]:
    body = await _answer(session, row, principal)
    return Response(body, headers={"ETag": etag(row.version)})


@post(
    "/api/v1/requests",
    tags=TAGS,
    summary="File a request (without a token: a public report, answered with a tracking token)",
    description=(
        "`service` must be a published service (else 422 at /service); `data` is checked "
        "against that service's form (a JSON Schema, see GET /api/v1/services/{code}) and "
        "`location` against its location rule, answering 422 pointing into /data or at "
        "/location. `applicant_id` is for API clients filing for a citizen: another "
        "caller's, or one that names no citizen account, is a 422 at /applicant_id. "
        "Without a token only `public` services are accepted (else 401); the answer is "
        "the public view with `tracking_token` and `tracking_url`, 429 when an address "
        "files too often."
    ),
    status_code=201,
    opt=OPTIONAL_CALLER,
)
async def file_request(
    request: Request[Any, Any, Any],
    *,
    data: JSONBody[FilingIn],
    db_session: Session,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    settings = app_settings(request)
    principal = optional_caller(request)
    if principal is None:
        return await file_public_report(request, data, db_session, settings)

    async def produce() -> Produced:
        row = await service.file_request(db_session, settings, principal, data, alone=True)
        headers = {"Location": f"/api/v1/requests/{row.id}", "ETag": etag(row.version)}
        return Produced(201, await _answer(db_session, row, principal), headers)

    return await create_once(
        db_session, principal, idempotency_key, "POST", "/api/v1/requests", data, produce
    )


async def file_public_report(
    request: Request[Any, Any, Any], data: FilingIn, db_session: AsyncSession, settings: Settings
) -> Response[Any]:
    """An anonymous report. No Idempotency-Key: a replay would have to store the token."""
    lang = choose_language(None, request.headers.get("accept-language"))
    row, token = await tracking.file_public_report(
        db_session, settings, data, address=client_address(request, settings), locale=lang
    )
    view = await tracking.public_view(db_session, row, lang)
    url = tracking.tracking_url(settings, token)
    body = PublicFilingOut(**msgspec.structs.asdict(view), tracking_token=token, tracking_url=url)
    return Response(body, status_code=201, headers={"Location": url, "Cache-Control": "no-store"})


@get("/api/v1/requests/{request_id:uuid}", tags=TAGS, summary="One request", opt=CALLER)
async def read_request(
    request_id: FromPath[UUID], db_session: Session, request: AnyRequest
) -> Response[RequestOut]:
    principal = caller(request)
    row = await service.get_request_for(db_session, principal, request_id, access="read")
    return await _with_etag(db_session, row, principal)


@patch(
    "/api/v1/requests/{request_id:uuid}",
    tags=TAGS,
    summary="Change a draft",
    description=(
        "The applicant changes a draft. `data` is checked against the service's form "
        "(a JSON Schema in the catalogue) and the location against the service's location "
        "rule: what they refuse answers 422 pointing into /data or at /location."
    ),
    operation_class=IfMatchRequired,
    opt=CALLER,
)
async def change_draft(
    request_id: FromPath[UUID],
    data: JSONBody[DraftPatchIn],
    db_session: Session,
    request: AnyRequest,
    if_match: IfMatch = None,
) -> Response[RequestOut]:
    principal = caller(request)
    row = await service.get_request_for(db_session, principal, request_id)
    row = await service.update_draft(db_session, principal, row, parse_if_match(if_match), data)
    return await _with_etag(db_session, row, principal)


@get(
    "/api/v1/requests/{request_id:uuid}/events",
    tags=TAGS,
    summary="History, oldest first",
    opt=CALLER,
)
async def list_request_events(
    request_id: FromPath[UUID],
    db_session: Session,
    request: AnyRequest,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[EventOut]:
    principal = caller(request)
    size = check_limit(limit)
    row = await service.get_request_for(db_session, principal, request_id, access="history")
    events, next_cursor = await service.list_history(
        db_session, principal, row, cursor=cursor, limit=size
    )
    return Page(items=[present_event(e, principal) for e in events], next_cursor=next_cursor)


@get(
    "/api/v1/requests/{request_id:uuid}/transitions",
    tags=TAGS,
    summary="Transitions the caller may fire now",
    opt=CALLER,
)
async def list_transitions(
    request_id: FromPath[UUID], db_session: Session, request: AnyRequest
) -> list[TransitionOut]:
    principal = caller(request)
    row = await service.get_request_for(db_session, principal, request_id)
    available = await transitions.available_for(db_session, principal, row)
    return [
        present_transition(t, available.service, available.documents_present, principal.locale)
        for t in available.transitions
    ]


@post(
    "/api/v1/requests/{request_id:uuid}/transitions",
    tags=TAGS,
    summary="Fire a transition (If-Match required)",
    description=(
        "403 when the caller may see the request but not fire this transition, 409 when the "
        "workflow does not allow it from the current state, 422 when one of its requirements "
        "(as listed by GET .../transitions: comment, fields, documents) is missing."
    ),
    status_code=200,
    operation_class=IfMatchRequired,
    opt=CALLER,
)
async def fire_transition(
    request_id: FromPath[UUID],
    *,
    data: JSONBody[TransitionIn],
    db_session: Session,
    request: AnyRequest,
    if_match: IfMatch = None,
) -> Response[RequestOut]:
    principal = caller(request)
    settings = app_settings(request)
    row = await service.get_request_for(db_session, principal, request_id)
    row = await transitions.fire_transition(
        db_session, settings, principal, row, if_match=parse_if_match(if_match), payload=data
    )
    return await _with_etag(db_session, row, principal)


@post(
    "/api/v1/requests/{request_id:uuid}/comments",
    tags=TAGS,
    summary="Comment (public reply or internal note)",
    description="Internal notes are for staff: an applicant or client asking for one gets 403.",
    status_code=201,
    opt=CALLER,
)
async def add_comment(
    request_id: FromPath[UUID],
    data: JSONBody[CommentIn],
    db_session: Session,
    request: AnyRequest,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    principal = caller(request)
    path = f"/api/v1/requests/{request_id}/comments"

    async def produce() -> Produced:
        row = await service.get_request_for(db_session, principal, request_id)
        event = await service.add_comment(db_session, principal, row, data)
        return Produced(201, present_event(event, principal))

    return await create_once(db_session, principal, idempotency_key, "POST", path, data, produce)


@put(
    "/api/v1/requests/{request_id:uuid}/assignee",
    tags=TAGS,
    summary="Assign (If-Match)",
    description=(
        "Clerks assign themselves, supervisors anyone of the department: another assignee "
        "answers 403 or 422 at /assignee_id."
    ),
    operation_class=IfMatchRequired,
    opt=CALLER,
)
async def change_assignee(
    request_id: FromPath[UUID],
    data: JSONBody[AssigneeIn],
    db_session: Session,
    request: AnyRequest,
    if_match: IfMatch = None,
) -> Response[RequestOut]:
    principal = caller(request)
    row = await service.get_request_for(db_session, principal, request_id)
    row = await assignment.set_assignee(
        db_session, principal, row, parse_if_match(if_match), data.assignee_id
    )
    return await _with_etag(db_session, row, principal)


@put(
    "/api/v1/requests/{request_id:uuid}/legal-hold",
    tags=TAGS,
    summary="Place a legal hold (supervisor): kept past its retention date until released",
    opt=CALLER,
)
async def place_legal_hold(
    request_id: FromPath[UUID],
    data: JSONBody[LegalHoldIn],
    db_session: Session,
    request: AnyRequest,
    if_match: IfMatch = None,
) -> Response[RequestOut]:
    principal = caller(request)
    row = await service.get_request_for(db_session, principal, request_id)
    row = await legal_hold.place_hold(
        db_session, principal, row, data.reason, parse_if_match(if_match)
    )
    return await _with_etag(db_session, row, principal)


@delete(
    "/api/v1/requests/{request_id:uuid}/legal-hold",
    tags=TAGS,
    summary="Release a legal hold (supervisor)",
    status_code=204,
    opt=CALLER,
)
async def release_legal_hold(
    request_id: FromPath[UUID], db_session: Session, request: AnyRequest, if_match: IfMatch = None
) -> None:
    principal = caller(request)
    row = await service.get_request_for(db_session, principal, request_id)
    await legal_hold.release_hold(db_session, principal, row, parse_if_match(if_match))


@get(
    "/api/v1/requests/{request_id:uuid}/access-log",
    tags=TAGS,
    summary="Who read or changed my request (applicant; departments and roles, never names)",
    opt=CALLER,
)
async def read_access_log(
    request_id: FromPath[UUID], db_session: Session, request: AnyRequest
) -> Page[AccessEntryOut]:
    principal = caller(request)
    row = await service.get_request_for(db_session, principal, request_id)
    entries = await access_log.access_log_for(db_session, principal, row)
    return Page(items=entries, next_cursor=None)


routes = [
    file_request,
    read_request,
    change_draft,
    list_request_events,
    list_transitions,
    fire_transition,
    add_comment,
    change_assignee,
    place_legal_hold,
    release_legal_hold,
    read_access_log,
]
