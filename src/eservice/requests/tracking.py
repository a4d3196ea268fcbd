"""Public reports without an account: filing, the tracking token and the public view.

The reporter is a ``Principal`` of kind ``public`` whose id is the request's random
``filed_by_id``: it counts as the applicant of that one report and of nothing else, so every
rule of filing, seeing and attaching applies to it unchanged. The tracking token (256 random
bits) is shown once; only its SHA-256 is stored.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.service import PublishedService, get_published_service
from eservice.core.config import Settings
from eservice.core.errors import NotFound, TooManyRequests
from eservice.identity import throttle
from eservice.identity.principal import Principal
from eservice.identity.tokens import new_opaque_token, opaque_token_hash
from eservice.requests import contacts, repository, service, tracking_repository
from eservice.requests.presenters import state_label
from eservice.requests.schemas import FilingIn, PublicCommentOut, PublicReportOut, ServiceRef
from eservice.requests.tables import RequestRow

TOKEN_PREFIX = "tr_"  # noqa: S105 - a prefix, not a secret
TRACKING_PATH = "/api/v1/tracking/"
# A report's public view lists at most this many public replies (newest kept out beyond it).
MAX_PUBLIC_COMMENTS = 200


def tracking_url(settings: Settings, token: str) -> str:
    return settings.public_url.rstrip("/") + TRACKING_PATH + token


async def public_service(session: AsyncSession, code: str) -> PublishedService:
    """The current version of a service that takes reports without an account; else 404.

    For pages that offer such a report before anything is filed; filing itself is refused by
    ``service.file_request`` for any other service, whatever a page offered.
    """
    published = await get_published_service(session, code)
    if not published.definition.public:
        raise NotFound(f"The service {code!r} takes no reports without an account.")
    return published


async def check_public_filing_rate(session: AsyncSession, settings: Settings, address: str) -> None:
    """429 with Retry-After once ``address`` has filed its share of the window."""
    try:
        await throttle.count_attempt(
            session,
            throttle.subject_key("public-report", address),
            limit=settings.public_reports_per_window,
            window_seconds=settings.public_report_window_seconds,
        )
    except throttle.Throttled as exc:
        raise TooManyRequests(
            "Too many reports from your address; please try again later.",
            retry_after=exc.retry_after,
        ) from None


async def file_public_report(
    session: AsyncSession, settings: Settings, payload: FilingIn, *, address: str, locale: str
) -> tuple[RequestRow, str]:
    """File a report of a ``public`` service without an account; the row and its token.

    ``locale`` is the reporter's language (de or en), for the emails to the contact.
    """
    published = await service.service_for_filing(session, payload.service)
    reporter = Principal(kind="public", id=uuid.uuid4(), locale=locale)
    if published.definition.public:
        await check_public_filing_rate(session, settings, address)
    row = await service.file_request(session, settings, reporter, payload)
    token = new_opaque_token(TOKEN_PREFIX)
    await tracking_repository.insert_tracking_token(session, row.id, opaque_token_hash(token))
    if payload.contact is not None:
        await contacts.mail_contact(
            session, row, template="report_received", extra={"tracking_token": token}
        )
    return row, token


async def reporter_for_token(session: AsyncSession, token: str) -> tuple[Principal, RequestRow]:
    """The anonymous reporter a tracking token speaks for, and its report; else 404."""
    row = None
    if token.startswith(TOKEN_PREFIX) and len(token) <= 128:
        row = await tracking_repository.request_for_token(session, opaque_token_hash(token))
    if row is None or row.filed_by_kind != "public":
        raise NotFound("No report with this tracking token.")
    return Principal(kind="public", id=row.filed_by_id), row


async def public_view(session: AsyncSession, row: RequestRow, lang: str) -> PublicReportOut:
    """What anyone holding the token sees: state, dates and the office's public replies."""
    published = await get_published_service(session, row.service_code, row.service_version)
    events = await repository.list_events(
        session, row.id, after_id=None, limit=MAX_PUBLIC_COMMENTS * 4, public_only=True
    )
    comments = [
        PublicCommentOut(occurred_at=e.occurred_at, comment=e.comment)
        for e in events
        if e.type == "commented" and e.comment
    ][:MAX_PUBLIC_COMMENTS]
    return PublicReportOut(
        reference=row.reference,
        service=ServiceRef(code=row.service_code, version=row.service_version),
        title=published.definition.title.pick(lang),
        state=row.state,
        state_label=state_label(published.workflow, row.state, lang),
        due_at=row.due_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        comments=comments,
    )
