"""Reports without an account in the browser: form, review with photos, confirmation, and the
tracking page that the link opens.

Every rule is the requests context's, exactly as for the JSON API's filing without a token:
``tracking.public_service`` decides which services offer these pages (404 for any other),
``service.check_form`` checks the form before the review (the same check filing makes),
``tracking.file_public_report`` files (the throttle per client address, the public-service
check, the token, the contact's confirmation email), and photos are the API's upload by token:
``documents_pages.upload_document`` with the reporter that ``reporter_for_token`` names.
Filing and photos are one step (``Web.all_or_nothing``): a refused photo files nothing and
counts nothing against the throttle.

The tracking token is shown once, on the confirmation page; it is never put in a cookie or the
session. The confirmation and tracking pages are not cached (like every page), send no Referer
(``Referrer-Policy: no-referrer``), and the access log records the tracking page's route
template instead of its path (``core.logging.loggable_path``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, PathParameter

from eservice.attachments.policy import reporter_may_upload
from eservice.catalog.service import PublishedService, get_published_service
from eservice.core.client_address import client_address
from eservice.core.errors import (
    FieldError,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from eservice.identity.principal import Principal
from eservice.identity.service import checked_email
from eservice.requests import service as requests
from eservice.requests import tracking
from eservice.requests.schemas import ContactIn, FilingIn, LocationIn
from eservice.requests.tables import RequestRow
from eservice.web.context import Web
from eservice.web.deps import WebPage
from eservice.web.documents_pages import (
    UPLOAD_REFUSALS,
    WEB_UPLOAD_LIMIT,
    upload_document,
    upload_error,
)
from eservice.web.filing import LocationForm, filing_form, parse_location
from eservice.web.forms import convert, read_pairs
from eservice.web.request_view import HISTORY_LIMIT, document_kinds, shown_events
from eservice.web.schema_forms import FormValues, parse_form, readable

TRACKING_PAGE = "/tracking/"
NO_REFERRER = {"Referrer-Policy": "no-referrer"}
# Fields the review page carries on to the next step: form data, location, contact.
CARRIED = ("d.", "loc.", "contact.")
CONTACT_FIELDS = ("email", "name")
FILE_FIELD = "file."
Token = Annotated[str, PathParameter(max_length=128)]
# The timeline of a report speaks of a report, and to its reporter.
REPORT_WORDING = {
    "event.filed": "track.event_filed",
    "event.submitted": "track.event_submitted",
    "event.attachment_added": "track.event_photo",
    "actor.applicant": "track.actor_you",
}


def tracking_page_path(token: str) -> str:
    return TRACKING_PAGE + token


def tracking_page_url(web: Web, token: str) -> str:
    """The tracking page's address as the emails give it (``ESERVICE_PUBLIC_URL``)."""
    return web.settings.public_url.rstrip("/") + tracking_page_path(token)


@dataclass
class ReportInput:
    """What a report page posted, read the way the logged-in filing reads it."""

    carried: list[tuple[str, str]]
    data: dict[str, Any]
    raw_location: dict[str, str]
    location: LocationIn | None
    location_errors: dict[str, str]
    contact_values: dict[str, str]
    contact: ContactIn | None
    contact_errors: dict[str, str] = field(default_factory=dict)

    @property
    def unreadable(self) -> bool:
        """Coordinates or contact that do not even make a filing to check."""
        return bool(self.location_errors or self.contact_errors)


def parse_contact(
    web: Web, form: FormValues
) -> tuple[dict[str, str], ContactIn | None, dict[str, str]]:
    """The typed contact, the contact (None when left empty) and messages at its fields.

    Checked as filing checks it: ``ContactIn``'s bounds and identity's one email rule.
    """
    values = {name: form.get(f"contact.{name}").strip() for name in CONTACT_FIELDS}
    given = {name: value for name, value in values.items() if value}
    if not given:
        return values, None, {}
    try:
        contact: ContactIn = convert(given, ContactIn)
        if contact.email is not None:
            checked_email(contact.email, "/email")
    except ValidationFailed as exc:
        errors = [FieldError("/contact" + e.pointer, e.message) for e in exc.errors]
        return values, None, contact_messages(web, errors)
    return values, contact, {}


def contact_messages(web: Web, errors: list[FieldError]) -> dict[str, str]:
    """Messages at the contact fields for the errors pointing into ``/contact``."""
    found: dict[str, str] = {}
    for error in errors:
        if not error.pointer.startswith("/contact"):
            continue
        name = "name" if error.pointer.startswith("/contact/name") else "email"
        if name not in found:
            found[name] = web.t("v.email") if name == "email" else web.t("v.too_long", max=200)
    return found


async def read_report(web: Web, service: PublishedService) -> ReportInput:
    pairs = await read_pairs(web)
    form = FormValues(pairs)
    raw_location, location, location_errors = parse_location(form)
    contact_values, contact, contact_errors = parse_contact(web, form)
    return ReportInput(
        carried=[(name, value) for name, value in pairs if name.startswith(CARRIED)],
        data=parse_form(service.definition.form, form),
        raw_location=raw_location,
        location=location,
        location_errors=location_errors,
        contact_values=contact_values,
        contact=contact,
        contact_errors=contact_errors,
    )


def form_errors(service: PublishedService, report: ReportInput) -> list[FieldError]:
    """What filing would refuse in the data and location (``check_form``, filing's own)."""
    try:
        requests.check_form(service, report.data, report.location)
    except ValidationFailed as exc:
        return exc.errors
    return []


def render_form(
    web: Web,
    service: PublishedService,
    report: ReportInput | None,
    *,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response[Any]:
    """The service's form as the logged-in filing renders it, plus the contact fields."""
    errors = errors or []
    location = LocationForm(service.definition.location)
    if report is not None:
        location = LocationForm(
            service.definition.location, report.raw_location, dict(report.location_errors)
        )
    form = filing_form(
        service,
        lang=web.lang,
        t=web.t,
        data=None if report is None else report.data,
        location=location,
        errors=[e for e in errors if not e.pointer.startswith("/contact")],
    )
    contact_errors = {
        **contact_messages(web, errors),
        **({} if report is None else report.contact_errors),
    }
    labels = {"email": web.t("report.contact_email"), "name": web.t("report.contact_name")}
    form.summary += [(f"contact-{k}", labels[k], v) for k, v in contact_errors.items()]
    return web.render(
        "report.html",
        status=status,
        service_title=service.definition.title.pick(web.lang),
        form=form,
        action=f"/services/{service.code}/report",
        contact={} if report is None else report.contact_values,
        contact_errors=contact_errors,
    )


def render_review(
    web: Web,
    service: PublishedService,
    report: ReportInput,
    *,
    status: int = 200,
    alert: str | None = None,
    photo_errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """What will be sent, readable; the photo upload with its limits; change or send."""
    kinds = document_kinds(web, service)
    photo_errors = photo_errors or {}
    labels = {k.kind: k.label for k in kinds}
    return web.render(
        "report_review.html",
        status=status,
        headers=headers,
        service_title=service.definition.title.pick(web.lang),
        code=service.code,
        shown=readable(service.definition.form, report.data, web.t, web.lang),
        location=report.location,
        contact=report.contact,
        carried=report.carried,
        kinds=kinds,
        photo_errors=photo_errors,
        photo_summary=[(f"file-{k}", labels.get(k, k), v) for k, v in photo_errors.items()],
        alert=alert,
    )


def chosen_files(service: PublishedService, form: Any) -> list[tuple[str, UploadFile]]:
    """The files chosen in the form, by the service's document kind (empty inputs left out)."""
    files = []
    for document in service.definition.documents:
        upload = form.get(FILE_FIELD + document.kind)
        if isinstance(upload, UploadFile) and upload.filename:
            files.append((document.kind, upload))
    return files


@get("/services/{code:str}/report", name="web-report")
async def report_page(web: WebPage, code: FromPath[str]) -> Response[Any]:
    service = await tracking.public_service(web.db, code[:64])
    return render_form(web, service, None)


@post("/services/{code:str}/report", name="web-report-post", status_code=200)
async def report_review(web: WebPage, code: FromPath[str]) -> Response[Any]:
    """Check the form as filing will (nothing is stored) and show it for review."""
    service = await tracking.public_service(web.db, code[:64])
    report = await read_report(web, service)
    if (await web.request.form()).get("action") == "change":
        return render_form(web, service, report)
    errors = form_errors(service, report)
    if errors or report.unreadable:
        return render_form(web, service, report, errors=errors, status=400)
    return render_review(web, service, report)


@post(
    "/services/{code:str}/report/send",
    name="web-report-send",
    status_code=201,
    request_max_body_size=WEB_UPLOAD_LIMIT,
)
async def report_send(web: WebPage, code: FromPath[str]) -> Response[Any]:
    """File the report with its photos, as one step; the confirmation shows the link once."""
    service = await tracking.public_service(web.db, code[:64])
    report = await read_report(web, service)
    if report.unreadable:
        errors = form_errors(service, report)
        return render_form(web, service, report, errors=errors, status=400)
    files = chosen_files(service, await web.request.form())
    payload = FilingIn(
        service=service.code, data=report.data, location=report.location, contact=report.contact
    )
    filed: tuple[RequestRow, str] | None = None
    uploading = ""
    try:
        async with web.all_or_nothing():
            filed = await tracking.file_public_report(
                web.db,
                web.settings,
                payload,
                address=client_address(web.request, web.settings),
                locale=web.lang,
            )
            reporter, row = await tracking.reporter_for_token(web.db, filed[1])
            for uploading, upload in files:
                await upload_document(web, reporter, row.id, uploading, upload, "public")
    except TooManyRequests as exc:
        return throttled(web, service, report, exc)
    except UPLOAD_REFUSALS as exc:
        if not uploading and isinstance(exc, ValidationFailed):
            return render_form(web, service, report, errors=exc.errors, status=400)
        if not uploading:
            raise
        refused = {uploading: upload_error(web, exc)}
        return render_review(web, service, report, status=400, photo_errors=refused)
    assert filed is not None  # the step either filed or raised
    row, token = filed
    return web.render(
        "report_done.html",
        status=201,
        headers=NO_REFERRER,
        view=await tracking.public_view(web.db, row, web.lang),
        link_path=tracking_page_path(token),
        link_url=tracking_page_url(web, token),
        # The language switch cannot show this answer again: it opens the tracking page.
        here_quoted=quote(tracking_page_path(token), safe=""),
        emailed=report.contact is not None and report.contact.email is not None,
    )


def throttled(
    web: Web, service: PublishedService, report: ReportInput, exc: TooManyRequests
) -> Response[Any]:
    """429: the review again (nothing lost), saying when the address may report again."""
    retry_after = exc.headers.get("Retry-After", "60")
    minutes = max(1, math.ceil(int(retry_after) / 60)) if retry_after.isdigit() else 60
    return render_review(
        web,
        service,
        report,
        status=429,
        alert=web.t("report.throttled", n=minutes),
        headers={"Retry-After": retry_after},
    )


async def tracking_view(
    web: Web,
    token: str,
    reporter: Principal,
    row: RequestRow,
    *,
    status: int = 200,
    photo_errors: dict[str, str] | None = None,
) -> Response[Any]:
    """The public view the API gives for the token, with the public history as a timeline."""
    service = await get_published_service(web.db, row.service_code, row.service_version)
    history, _ = await requests.list_history(
        web.db, reporter, row, cursor=None, limit=HISTORY_LIMIT
    )
    kinds = document_kinds(web, service) if reporter_may_upload(service.workflow, row.state) else []
    photo_errors = photo_errors or {}
    labels = {k.kind: k.label for k in kinds}
    return web.render(
        "tracking.html",
        status=status,
        headers=NO_REFERRER,
        view=await tracking.public_view(web.db, row, web.lang),
        timeline={"events": shown_events(web, service, reporter, history, REPORT_WORDING)},
        token=token,
        kinds=kinds,
        photo_errors=photo_errors,
        photo_summary=[(f"file-{k}", labels.get(k, k), v) for k, v in photo_errors.items()],
    )


async def reporter_or_page(web: Web, token: str) -> tuple[Principal, RequestRow] | Response[Any]:
    """The reporter and report of a token, or the not-found page (which sends no Referer
    either: its address holds the unknown token)."""
    try:
        return await tracking.reporter_for_token(web.db, token)
    except NotFound:
        return web.render(
            "error.html", status=404, headers=NO_REFERRER, message=web.t("track.not_found")
        )


@get("/tracking/{token:str}", name="web-tracking")
async def tracking_page(web: WebPage, token: FromPath[Token]) -> Response[Any]:
    found = await reporter_or_page(web, token)
    if isinstance(found, Response):
        return found
    return await tracking_view(web, token, *found)


@post(
    "/tracking/{token:str}/photos",
    name="web-tracking-photo",
    status_code=200,
    request_max_body_size=WEB_UPLOAD_LIMIT,
)
async def add_photo(web: WebPage, token: FromPath[Token]) -> Any:
    """A photo added later, like the API's upload by token (while the report is untouched)."""
    found = await reporter_or_page(web, token)
    if isinstance(found, Response):
        return found
    reporter, row = found
    service = await get_published_service(web.db, row.service_code, row.service_version)
    files = chosen_files(service, await web.request.form())
    first_kind = service.definition.documents[0].kind if service.definition.documents else ""
    if not files:
        return await tracking_view(
            web, token, reporter, row, status=400, photo_errors={first_kind: web.t("v.required")}
        )
    uploading = ""
    try:
        async with web.all_or_nothing():
            for uploading, upload in files:
                await upload_document(web, reporter, row.id, uploading, upload, "public")
    except UPLOAD_REFUSALS as exc:
        refused = {uploading: upload_error(web, exc)}
        return await tracking_view(web, token, reporter, row, status=400, photo_errors=refused)
    return web.redirect(tracking_page_path(token) + "?notice=docs.uploaded")


routes = [report_page, report_review, report_send, tracking_page, add_photo]
