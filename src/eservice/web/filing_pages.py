"""Filing in the browser: the form, drafts, documents, review, submission, confirmation.

Every step calls the requests and attachments contexts exactly as the API routes do:
``file_request`` (a draft), ``update_draft``, ``upload_attachment`` and ``fire_transition``
(``submit``, with the version read as If-Match).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Response, get, post
from litestar.params import FromPath

from eservice.attachments.service import list_request_attachments
from eservice.catalog.service import PublishedService, get_published_service
from eservice.core.errors import (
    Conflict,
    Forbidden,
    PreconditionFailed,
    ValidationFailed,
)
from eservice.identity.principal import Principal
from eservice.requests import service as requests
from eservice.requests import transitions
from eservice.requests.schemas import DraftPatchIn, FilingIn, TransitionIn
from eservice.requests.tables import RequestRow
from eservice.web.context import Web
from eservice.web.deps import WebPage
from eservice.web.filing import LocationForm, filing_form, location_values, parse_location
from eservice.web.forms import posted_version, read_form
from eservice.web.schema_forms import parse_form, readable
from eservice.workflow.definitions import INITIAL_STATE, SUBMIT_TRANSITION

ATTACHMENT_PAGE = 100


def _next_step(service: PublishedService, request_id: UUID) -> str:
    if service.definition.documents:
        return f"/requests/{request_id}/documents"
    return f"/requests/{request_id}/review"


async def _draft_of(web: Web, person: Principal, request_id: UUID) -> RequestRow:
    row = await requests.get_request_for(web.db, person, request_id)
    if row.state != INITIAL_STATE or row.applicant_id != person.id:
        raise Conflict("not a draft of the caller")
    return row


def _render_form(
    web: Web,
    service: PublishedService,
    *,
    action: str,
    data: dict[str, Any] | None,
    location: LocationForm,
    errors: list[Any] | None = None,
    version: int | None = None,
    status: int = 200,
    alert: str | None = None,
) -> Response[Any]:
    form = filing_form(service, lang=web.lang, t=web.t, data=data, location=location, errors=errors)
    return web.render(
        "apply.html",
        status=status,
        service_title=service.definition.title.pick(web.lang),
        form=form,
        action=action,
        version=version,
        alert=alert,
        report_code=service.code if service.definition.public else None,
    )


@get("/services/{code:str}/apply", name="web-apply")
async def apply_page(web: WebPage, code: FromPath[str]) -> Response[Any]:
    web.require_citizen()
    service = await get_published_service(web.db, code[:64])
    location = LocationForm(rule=service.definition.location)
    return _render_form(
        web, service, action=f"/services/{code}/apply", data=None, location=location
    )


@post("/services/{code:str}/apply", name="web-apply-post", status_code=200)
async def apply(web: WebPage, code: FromPath[str]) -> Any:
    person = web.require_citizen()
    service = await get_published_service(web.db, code[:64])
    form = await read_form(web)
    data = parse_form(service.definition.form, form)
    raw_location, location_in, location_errors = parse_location(form)
    location = LocationForm(service.definition.location, raw_location, location_errors)
    render: dict[str, Any] = {
        "action": f"/services/{code}/apply",
        "data": data,
        "location": location,
    }
    if location_errors:
        return _render_form(web, service, status=400, **render)
    try:
        row = await requests.file_request(
            web.db,
            web.settings,
            person,
            FilingIn(service=service.code, data=data, location=location_in, submit=False),
        )
    except ValidationFailed as exc:
        return _render_form(web, service, status=400, errors=exc.errors, **render)
    except Forbidden:
        return _render_form(web, service, status=403, alert=web.t("verify.needed"), **render)
    if form.get("action") == "draft":
        return web.redirect(f"/requests/{row.id}?notice=apply.draft_saved")
    return web.redirect(_next_step(service, row.id))


@get("/requests/{request_id:uuid}/edit", name="web-edit")
async def edit_page(web: WebPage, request_id: FromPath[UUID]) -> Response[Any]:
    person = web.require_citizen()
    row = await _draft_of(web, person, request_id)
    service = await get_published_service(web.db, row.service_code, row.service_version)
    location = LocationForm(service.definition.location, location_values(row.location))
    return _render_form(
        web,
        service,
        action=f"/requests/{row.id}/edit",
        data=row.data,
        location=location,
        version=row.version,
    )


@post("/requests/{request_id:uuid}/edit", name="web-edit-post", status_code=200)
async def edit(web: WebPage, request_id: FromPath[UUID]) -> Any:
    person = web.require_citizen()
    row = await _draft_of(web, person, request_id)
    service = await get_published_service(web.db, row.service_code, row.service_version)
    form = await read_form(web)
    data = parse_form(service.definition.form, form)
    raw_location, location_in, location_errors = parse_location(form)
    location = LocationForm(service.definition.location, raw_location, location_errors)
    render: dict[str, Any] = {
        "action": f"/requests/{row.id}/edit",
        "data": data,
        "location": location,
        "version": row.version,
    }
    if location_errors:
        return _render_form(web, service, status=400, **render)
    version = posted_version(form)
    try:
        await requests.update_draft(
            web.db, person, row, version, DraftPatchIn(data=data, location=location_in)
        )
    except ValidationFailed as exc:
        return _render_form(web, service, status=400, errors=exc.errors, **render)
    except PreconditionFailed:
        return web.redirect(f"/requests/{row.id}/edit?notice=req.stale")
    if form.get("action") == "draft":
        return web.redirect(f"/requests/{row.id}?notice=apply.draft_saved")
    return web.redirect(_next_step(service, row.id))


async def _review(
    web: Web, person: Principal, row: RequestRow, status: int = 200, alert: str | None = None
) -> Response[Any]:
    service = await get_published_service(web.db, row.service_code, row.service_version)
    attachments, _ = await list_request_attachments(
        web.db, person, row.id, cursor=None, limit=ATTACHMENT_PAGE
    )
    present = {a.kind for a in attachments}
    missing = [
        d.label.pick(web.lang)
        for d in service.definition.documents
        if d.required and d.kind not in present
    ]
    return web.render(
        "review.html",
        status=status,
        row=row,
        service_title=service.definition.title.pick(web.lang),
        shown=readable(service.definition.form, row.data, web.t, web.lang),
        attachments=attachments,
        has_documents=bool(service.definition.documents),
        missing=missing,
        alert=alert,
    )


@get("/requests/{request_id:uuid}/review", name="web-review")
async def review_page(web: WebPage, request_id: FromPath[UUID]) -> Response[Any]:
    person = web.require_citizen()
    row = await _draft_of(web, person, request_id)
    return await _review(web, person, row)


@post("/requests/{request_id:uuid}/submit", name="web-submit", status_code=200)
async def submit(web: WebPage, request_id: FromPath[UUID]) -> Any:
    person = web.require_citizen()
    row = await _draft_of(web, person, request_id)
    form = await read_form(web)
    version = posted_version(form)
    try:
        async with web.all_or_nothing():
            await transitions.fire_transition(
                web.db,
                web.settings,
                person,
                row,
                if_match=version,
                payload=TransitionIn(transition=SUBMIT_TRANSITION),
            )
    except PreconditionFailed:
        fresh = await requests.get_request_for(web.db, person, request_id)
        return await _review(web, person, fresh, status=409, alert=web.t("req.stale"))
    except ValidationFailed:
        return await _review(web, person, row, status=400, alert=web.t("v.document_missing"))
    except Forbidden:
        return await _review(web, person, row, status=403, alert=web.t("verify.needed"))
    return web.redirect(f"/requests/{row.id}/submitted")


@get("/requests/{request_id:uuid}/submitted", name="web-submitted")
async def submitted_page(web: WebPage, request_id: FromPath[UUID]) -> Response[Any]:
    person = web.require_citizen()
    row = await requests.get_request_for(web.db, person, request_id)
    return web.render("submitted.html", row=row)


routes = [apply_page, apply, edit_page, edit, review_page, submit, submitted_page]
