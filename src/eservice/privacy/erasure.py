"""A citizen erases their account (GDPR Art. 17), in one transaction.

Drafts are deleted; filed requests still open are withdrawn where their workflow allows; what
must be kept by law stays until its retention date, pseudonymised (no longer linked to the
account); the account, its tokens, inbox and stored answers go; a confirmation email is sent
to the address, which the next retention run forgets once the email is out.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments.storage import Storage
from eservice.core import idempotency
from eservice.core.config import Settings
from eservice.core.errors import Forbidden, Unauthorized
from eservice.events.outbox import queue_email
from eservice.identity import repository as identity_repository
from eservice.identity import retention as identity_retention
from eservice.identity.principal import Principal
from eservice.identity.service import check_password
from eservice.notifications import retention as notifications_retention
from eservice.privacy.retention import ERASURE_CONFIRMATION, forget_request
from eservice.requests import retention as requests_retention
from eservice.requests.erasure import withdraw_open_requests


async def erase_own_account(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    principal: Principal,
    password: str,
) -> None:
    """Close and erase the caller's citizen account after checking its current password."""
    if not principal.is_citizen:
        raise Forbidden(
            "Only citizens close their own account; staff accounts are closed by an admin."
        )
    user = await identity_repository.get_user(session, principal.id)
    if user is None or not user.is_active:
        raise Unauthorized()
    if user.email is None or user.password_hash is None:
        raise Forbidden("This account signs in through another provider; ask the city to close it.")
    if await check_password(session, settings, user.email, password) is None:
        raise Forbidden("The password is not correct.")
    drafts = await withdraw_open_requests(session, settings, principal)
    for draft in drafts:
        await forget_request(session, storage, draft, "delete")
    await requests_retention.forget_applicant(session, user.id)
    await notifications_retention.forget_person(session, user.id, user.email)
    await idempotency.forget_answers(session, caller=idempotency.caller_key("citizen", user.id))
    await queue_email(
        session,
        to=user.email,
        template=ERASURE_CONFIRMATION,
        locale=user.locale,
        context={"display_name": user.display_name},
    )
    await identity_retention.forget_account(session, user.id)
