"""The clerk console at /staff: queues, taking the next request, one request, supervisors' view.

The rules are the queues and requests contexts' own: ``queue_summaries``, ``list_queue`` (keyset
pages), ``claim_next`` (``FOR UPDATE SKIP LOCKED``: two clerks never get the same request),
``set_assignee``, ``add_comment`` and ``fire_transition`` with the version read as If-Match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Response, get, post
from litestar.params import FromPath, QueryParameter

from eservice.catalog.service import department_names, list_current_services
from eservice.core.errors import (
    Conflict,
    Forbidden,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from eservice.identity.principal import Principal
from eservice.queues.schemas import SORTS, RequestFilters
from eservice.queues.service import check_department, claim_next, list_queue, queue_summaries
from eservice.requests import assignment
from eservice.requests import service as requests
from eservice.requests.presenters import present_requests, services_for
from eservice.requests.schemas import CommentIn, Visibility
from eservice.web.context import Web
from eservice.web.deps import WebPage
from eservice.web.documents_pages import WEB_UPLOAD_LIMIT, upload_posted
from eservice.web.forms import posted_version, read_form
from eservice.web.request_pages import fire_from_form
from eservice.web.request_view import request_view

PAGE_SIZE = 20
CATALOGUE_LIMIT = 100
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=1024, required=False)]
StateParam = Annotated[str | None, QueryParameter(name="state", max_length=64, required=False)]
ServiceParam = Annotated[str | None, QueryParameter(name="service", max_length=64, required=False)]
AssigneeParam = Annotated[str | None, QueryParameter(name="assignee", max_length=8, required=False)]
OverdueParam = Annotated[str | None, QueryParameter(name="overdue", max_length=8, required=False)]
SortParam = Annotated[str | None, QueryParameter(name="sort", max_length=32, required=False)]
QueryParam = Annotated[str | None, QueryParameter(name="q", max_length=100, required=False)]


@dataclass
class QueueFilters:
    """The filters as the form shows them (strings), and as the queue service takes them."""

    state: str = ""
    service: str = ""
    assignee: str = ""
    overdue: bool = False
    sort: str = "due_at"
    q: str = ""

    def as_filters(self) -> RequestFilters:
        who = self.assignee if self.assignee in ("me", "none") else None
        return RequestFilters(
            state=self.state or None,
            service=self.service or None,
            assignee=who,  # type: ignore[arg-type]
            overdue=True if self.overdue else None,
            q=self.q or None,
        )


def _names(names: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    pair = names.get(code)
    return (pair[1] if lang == "en" else pair[0]) if pair else code


@get("/staff", name="web-staff")
async def staff_home(web: WebPage) -> Response[Any]:
    person = web.require_staff()
    summaries = await queue_summaries(web.db, person)
    names = await department_names(web.db)
    return web.render(
        "staff_home.html",
        summaries=summaries,
        names={d.department: _names(names, d.department, web.lang) for d in summaries},
        supervisor=bool(person.roles & assignment.REASSIGN_ROLES),
    )


@get("/staff/queues/{department:str}", name="web-queue")
async def queue_page(
    web: WebPage,
    department: FromPath[str],
    *,
    state_filter: StateParam = None,
    service: ServiceParam = None,
    assignee: AssigneeParam = None,
    overdue: OverdueParam = None,
    sort: SortParam = None,
    q: QueryParam = None,
    cursor: Cursor = None,
) -> Response[Any]:
    person = web.require_staff()
    check_department(person, department)
    chosen = QueueFilters(
        state=state_filter or "",
        service=service or "",
        assignee=assignee or "",
        overdue=overdue == "true",
        sort=sort if sort in SORTS and sort != "created_at" else "due_at",
        q=q or "",
    )
    rows, next_cursor = await list_queue(
        web.db,
        person,
        department,
        chosen.as_filters(),
        sort=chosen.sort,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    services = await services_for(web.db, rows)
    summary = next(s for s in await queue_summaries(web.db, person) if s.department == department)
    names = await department_names(web.db)
    offered = [
        s
        for s in await list_current_services(web.db, after=None, limit=CATALOGUE_LIMIT)
        if s.definition.department == department
    ]
    state_labels = {
        state.name: state.label.pick(web.lang) for s in offered for state in s.workflow.states
    }
    return web.render(
        "staff_queue.html",
        department=department,
        department_name=_names(names, department, web.lang),
        items=present_requests(rows, services, person),
        next_cursor=next_cursor,
        chosen=chosen,
        summary=summary,
        states=[(code, state_labels.get(code, code)) for code in sorted(summary.counts)],
        services=[(s.code, s.definition.title.pick(web.lang)) for s in offered],
        me=person.id,
    )


@post("/staff/queues/{department:str}/claim", name="web-claim", status_code=200)
async def claim(web: WebPage, department: FromPath[str]) -> Any:
    person = web.require_staff()
    row = await claim_next(web.db, person, department)
    if row is None:
        return web.redirect(f"/staff/queues/{department}?notice=staff.nothing")
    return web.redirect(f"/staff/requests/{row.id}?notice=staff.taken")


async def _staff_request_page(
    web: Web,
    person: Principal,
    request_id: UUID,
    *,
    status: int = 200,
    alert: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response[Any]:
    row = await requests.get_request_for(web.db, person, request_id, access="read")
    view = await request_view(web, person, row)
    return web.render(
        "staff_request.html",
        status=status,
        view=view,
        alert=alert,
        errors=errors or {},
        me=person.id,
        supervisor=bool(person.roles & assignment.REASSIGN_ROLES),
    )


@get("/staff/requests/{request_id:uuid}", name="web-staff-request")
async def staff_request(web: WebPage, request_id: FromPath[UUID]) -> Response[Any]:
    person = web.require_staff()
    return await _staff_request_page(web, person, request_id)


@post(
    "/staff/requests/{request_id:uuid}/transitions",
    name="web-staff-fire",
    status_code=200,
    request_max_body_size=WEB_UPLOAD_LIMIT,
)
async def staff_transition(web: WebPage, request_id: FromPath[UUID]) -> Any:
    person = web.require_staff()
    alert, errors, status = await fire_from_form(web, request_id)
    if alert is not None:
        return await _staff_request_page(
            web, person, request_id, status=status, alert=alert, errors=errors
        )
    return web.redirect(f"/staff/requests/{request_id}?notice=req.changed")


@post("/staff/requests/{request_id:uuid}/comments", name="web-staff-comment", status_code=200)
async def staff_comment(web: WebPage, request_id: FromPath[UUID]) -> Any:
    person = web.require_staff()
    form = await read_form(web)
    body = form.get("body").strip()
    visibility: Visibility = "internal" if form.get("visibility") == "internal" else "public"
    if not body:
        return await _staff_request_page(
            web, person, request_id, status=400, errors={"body": web.t("v.comment")}
        )
    row = await requests.get_request_for(web.db, person, request_id)
    await requests.add_comment(web.db, person, row, CommentIn(body=body, visibility=visibility))
    return web.redirect(f"/staff/requests/{request_id}?notice=req.comment_sent#history")


@post(
    "/staff/requests/{request_id:uuid}/documents",
    name="web-staff-upload",
    status_code=200,
    request_max_body_size=WEB_UPLOAD_LIMIT,
)
async def staff_upload(web: WebPage, request_id: FromPath[UUID]) -> Any:
    """A document from the clerk: public (the applicant sees it) or internal, as the API
    allows staff; every check is the attachments context's."""
    person = web.require_staff()
    form = await web.request.form()
    visibility = form.get("visibility")
    error = await upload_posted(
        web,
        person,
        request_id,
        form.get("kind"),
        form.get("file"),
        visibility if isinstance(visibility, str) else "",
    )
    if error is not None:
        return await _staff_request_page(
            web, person, request_id, status=400, errors={"upload-file": error}
        )
    return web.redirect(f"/staff/requests/{request_id}?notice=docs.uploaded#docs-h")


@post("/staff/requests/{request_id:uuid}/assignee", name="web-staff-assign", status_code=200)
async def staff_assign(web: WebPage, request_id: FromPath[UUID]) -> Any:
    person = web.require_staff()
    form = await read_form(web)
    version = posted_version(form)
    choice = form.get("assignee").strip()
    assignee: UUID | None
    if choice == "me":
        assignee = person.id
    elif choice in ("", "none"):
        assignee = None
    else:
        try:
            assignee = UUID(choice)
        except ValueError:
            return await _staff_request_page(
                web, person, request_id, status=400, errors={"assignee": web.t("v.invalid")}
            )
    row = await requests.get_request_for(web.db, person, request_id)
    try:
        async with web.all_or_nothing():
            await assignment.set_assignee(web.db, person, row, version, assignee)
    except (PreconditionFailed, PreconditionRequired):
        return await _staff_request_page(
            web, person, request_id, status=409, alert=web.t("req.stale")
        )
    except ValidationFailed:
        return await _staff_request_page(
            web, person, request_id, status=400, errors={"assignee": web.t("v.invalid")}
        )
    except (Forbidden, Conflict):
        return await _staff_request_page(
            web, person, request_id, status=409, alert=web.t("req.not_possible")
        )
    return web.redirect(f"/staff/requests/{request_id}?notice=req.changed")


@get("/staff/supervisor", name="web-supervisor")
async def supervisor(web: WebPage) -> Response[Any]:
    person = web.require_staff()
    summaries = await queue_summaries(web.db, person)
    names = await department_names(web.db)
    overdue = []
    for summary in summaries:
        rows, _ = await list_queue(
            web.db,
            person,
            summary.department,
            RequestFilters(overdue=True),
            sort="due_at",
            cursor=None,
            limit=PAGE_SIZE,
        )
        overdue.extend(present_requests(rows, await services_for(web.db, rows), person))
    return web.render(
        "staff_supervisor.html",
        summaries=summaries,
        names={d.department: _names(names, d.department, web.lang) for d in summaries},
        overdue=overdue,
    )


routes = [
    staff_home,
    queue_page,
    claim,
    staff_request,
    staff_transition,
    staff_comment,
    staff_upload,
    staff_assign,
    supervisor,
]
