"""The reporter's contact: kept with the request, mailed on news, never shown publicly.

A report filed without an account (or through Open311) may leave an email address, a name and
a phone number. The address gets a confirmation and every public change the workflow tells the
applicant about, each email with a link that stops them all. Mail goes through the outbox in
the transaction of the change, like every other notification.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.service import get_published_service
from eservice.core.errors import NotFound
from eservice.events.outbox import queue_email
from eservice.identity.service import checked_email
from eservice.requests import tracking_repository
from eservice.requests.schemas import ContactIn
from eservice.requests.tables import RequestRow


async def save_contact(
    session: AsyncSession,
    request_id: Any,
    contact: ContactIn,
    locale: str,
    pointer: str = "/contact/email",
) -> None:
    """Keep the reporter's contact data with the request (422 for a bad email address)."""
    await tracking_repository.insert_contact(
        session,
        {
            "request_id": request_id,
            "email": None if contact.email is None else checked_email(contact.email, pointer),
            "name": contact.name,
            "phone": contact.phone,
            "locale": locale[:8],  # rendering picks de or en from it
            "unsubscribe_token": "us_" + secrets.token_urlsafe(24),
        },
    )


async def _context(session: AsyncSession, request: RequestRow, lang: str) -> dict[str, str]:
    published = await get_published_service(session, request.service_code, request.service_version)
    try:
        state = published.workflow.state(request.state).label.pick(lang)
    except KeyError:
        state = request.state
    return {
        "reference": request.reference,
        "service_title": published.definition.title.pick(lang),
        "state_label": state,
    }


async def mail_contact(
    session: AsyncSession,
    request: RequestRow,
    *,
    template: str,
    extra: dict[str, str] | None = None,
) -> bool:
    """Queue ``template`` to the request's contact, if it has a reachable address."""
    contact = await tracking_repository.reachable_contact(session, request.id)
    if contact is None or contact.email is None:
        return False
    context = await _context(session, request, contact.locale)
    context["unsubscribe_token"] = contact.unsubscribe_token
    context.update(extra or {})
    await queue_email(
        session, to=contact.email, template=template, locale=contact.locale, context=context
    )
    return True


async def tell_contact(
    session: AsyncSession, request: RequestRow, *, type: str, comment: str | None
) -> None:
    """A public change the workflow tells the applicant about, for a reporter without account."""
    if request.applicant_id is not None or type not in ("transitioned", "commented"):
        return
    await mail_contact(
        session,
        request,
        template="report_update",
        extra={"comment": comment if type == "commented" and comment else ""},
    )


async def unsubscribe(session: AsyncSession, token: str) -> None:
    """Stop every email to the contact that got this link; 404 for an unknown link."""
    if not token.startswith("us_") or len(token) > 64:
        raise NotFound("No subscription with this link.")
    if not await tracking_repository.unsubscribe(session, token, datetime.now(UTC)):
        raise NotFound("No subscription with this link.")
