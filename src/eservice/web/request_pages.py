"""The citizen's requests: the list, one request (history, messages, documents, the
transitions a citizen may fire, with the version read as If-Match), and the inbox."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, QueryParameter

from eservice.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from eservice.notifications.service import list_notifications, mark_notification_read
from eservice.queues.schemas import RequestFilters
from eservice.queues.service import list_requests
from eservice.requests import service as requests
from eservice.requests import transitions
from eservice.requests.presenters import present_requests, services_for
from eservice.requests.requirements import missing_documents
from eservice.requests.schemas import CommentIn, TransitionIn
from eservice.web.context import Web
from eservice.web.deps import WebPage
from eservice.web.documents_pages import (
    UPLOAD_REFUSALS,
    WEB_UPLOAD_LIMIT,
    upload_document,
    upload_error,
)
from eservice.web.forms import posted_version, read_form
from eservice.web.request_view import request_view, transition_data

Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=1024, required=False)]
PAGE_SIZE = 20


@get("/requests", name="web-my-requests")
async def my_requests(web: WebPage, cursor: Cursor = None) -> Any:
    person = web.require_person()
    if person.is_staff:
        return web.redirect("/staff")
    rows, next_cursor = await list_requests(
        web.db, person, RequestFilters(), sort="created_at", cursor=cursor, limit=PAGE_SIZE
    )
    items = present_requests(rows, await services_for(web.db, rows), person)
    return web.render("my_requests.html", items=items, next_cursor=next_cursor)


async def _request_page(
    web: Web,
    request_id: UUID,
    *,
    status: int = 200,
    alert: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response[Any]:
    person = web.require_citizen()
    row = await requests.get_request_for(web.db, person, request_id, access="read")
    view = await request_view(web, person, row)
    return web.render("request.html", status=status, view=view, alert=alert, errors=errors or {})


@get("/requests/{request_id:uuid}", name="web-request")
async def request_page(web: WebPage, request_id: FromPath[UUID]) -> Any:
    person = web.require_person()
    if person.is_staff:
        return web.redirect(f"/staff/requests/{request_id}")
    return await _request_page(web, request_id)


@post("/requests/{request_id:uuid}/comments", name="web-comment", status_code=200)
async def comment(web: WebPage, request_id: FromPath[UUID]) -> Any:
    person = web.require_citizen()
    form = await read_form(web)
    body = form.get("body").strip()
    if not body:
        return await _request_page(web, request_id, status=400, errors={"body": web.t("v.comment")})
    row = await requests.get_request_for(web.db, person, request_id)
    await requests.add_comment(web.db, person, row, CommentIn(body=body, visibility="public"))
    return web.redirect(f"/requests/{request_id}?notice=req.comment_sent#history")


async def fire_from_form(web: Web, request_id: UUID) -> tuple[str | None, dict[str, str], int]:
    """Fire the posted transition; (alert, field errors, status) when it did not happen.

    The documents the transition still needs may come with it (file fields ``doc.<kind>``):
    they are uploaded through the attachments context first, in the same step, so a refused
    transition keeps none of them and a refused file fires nothing.
    """
    person = web.require_person()
    form = await read_form(web)
    name = form.get("transition")[:64]
    version = posted_version(form)
    comment = form.get("comment").strip() or None
    row = await requests.get_request_for(web.db, person, request_id)
    available, service, present = await transitions.available_for(web.db, person, row)
    chosen = next((t for t in available if t.name == name), None)
    fields = list(chosen.requires.fields) if chosen else []
    values = {f: form.get(f"td.{f}").strip() for f in fields}
    needed = missing_documents(service, name, present) if chosen else []
    posted = await web.request.form()
    files = [(kind, posted.get(f"doc.{kind}")) for kind in needed]
    uploading: str | None = None
    try:
        async with web.all_or_nothing():
            for kind, file in files:
                if isinstance(file, UploadFile) and file.filename:
                    uploading = kind
                    await upload_document(web, person, request_id, kind, file, "public")
            uploading = None
            await transitions.fire_transition(
                web.db,
                web.settings,
                person,
                row,
                if_match=version,
                payload=TransitionIn(
                    transition=name, comment=comment, data=transition_data(fields, values)
                ),
            )
    except UPLOAD_REFUSALS as exc:
        if uploading is not None:
            return upload_error(web, exc), {f"{name}.doc.{uploading}": upload_error(web, exc)}, 400
        return _refusal(web, exc, name)
    except (PreconditionFailed, PreconditionRequired) as exc:
        return _refusal(web, exc, name)
    return None, {}, 200


def _refusal(web: Web, exc: DomainError, name: str) -> tuple[str, dict[str, str], int]:
    """A transition the workflow refused: the alert, messages at the fields, the status."""
    if isinstance(exc, (PreconditionFailed, PreconditionRequired)):
        return web.t("req.stale"), {}, 409
    if isinstance(exc, ValidationFailed):
        errors: dict[str, str] = {}
        for e in exc.errors:
            if e.pointer.startswith(("/data/", "/comment")):
                errors[f"{name}.{e.pointer.rsplit('/', 1)[-1]}"] = web.t("v.required")
            elif e.pointer.startswith("/documents/"):
                errors[f"{name}.doc.{e.pointer.rsplit('/', 1)[-1]}"] = web.t("docs.needed")
        return web.t("v.required"), errors, 400
    if isinstance(exc, (Conflict, Forbidden)):
        return web.t("req.not_possible"), {}, 409
    raise exc


@post(
    "/requests/{request_id:uuid}/transitions",
    name="web-transition",
    status_code=200,
    request_max_body_size=WEB_UPLOAD_LIMIT,
)
async def transition(web: WebPage, request_id: FromPath[UUID]) -> Any:
    web.require_citizen()
    alert, errors, status = await fire_from_form(web, request_id)
    if alert is not None:
        # A stale page shows the request as it is now, with a note why nothing happened.
        return await _request_page(web, request_id, status=status, alert=alert, errors=errors)
    return web.redirect(f"/requests/{request_id}?notice=req.changed")


@get("/inbox", name="web-inbox")
async def inbox(web: WebPage, cursor: Cursor = None) -> Response[Any]:
    person = web.require_person()
    page = await list_notifications(web.db, person, unread=False, limit=PAGE_SIZE, cursor=cursor)
    return web.render("inbox.html", page=page)


@post("/inbox/{item_id:uuid}/read", name="web-inbox-read", status_code=200)
async def inbox_read(web: WebPage, item_id: FromPath[UUID]) -> Any:
    person = web.require_person()
    await mark_notification_read(web.db, person, item_id)
    return web.redirect("/inbox")


routes = [my_requests, request_page, comment, transition, inbox, inbox_read]
