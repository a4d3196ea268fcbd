"""Self-service around the account: registration, email verification, password reset.

Emailed tokens are random (256 bits), stored only as a hash, expire, and work once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.core.errors import FieldError, ValidationFailed
from eservice.events.outbox import queue_email
from eservice.identity import repository, service, sessions, throttle
from eservice.identity.passwords import hash_secret
from eservice.identity.schemas import PasswordResetConfirmIn, RegisterIn
from eservice.identity.tables import UserRow
from eservice.identity.tokens import new_opaque_token, opaque_token_hash

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose name
TOKEN_LIFETIMES = {VERIFY_EMAIL: timedelta(hours=48), PASSWORD_RESET: timedelta(hours=1)}
RESETS_PER_WINDOW = 3


async def _send_token(session: AsyncSession, row: UserRow, purpose: str) -> None:
    if row.email is None:
        return
    token = new_opaque_token("ve_" if purpose == VERIFY_EMAIL else "pr_")
    await repository.expire_account_tokens(session, row.id, purpose)
    await repository.insert_account_token(
        session,
        row_id=uuid.uuid4(),
        token_hash=opaque_token_hash(token),
        purpose=purpose,
        user_id=row.id,
        expires_at=datetime.now(UTC) + TOKEN_LIFETIMES[purpose],
    )
    await queue_email(
        session,
        to=row.email,
        template=purpose,
        locale=row.locale,
        context={"token": token, "display_name": row.display_name},
    )


async def send_verification(session: AsyncSession, row: UserRow) -> None:
    """A fresh verification code to the account's (new) address."""
    await _send_token(session, row, VERIFY_EMAIL)


async def register(session: AsyncSession, settings: Settings, data: RegisterIn) -> UserRow:
    """A new citizen account; the verification email is queued in the same transaction."""
    row = await service.create_citizen(
        session,
        settings,
        email=data.email,
        password=data.password,
        display_name=data.display_name,
        locale=data.locale,
    )
    await _send_token(session, row, VERIFY_EMAIL)
    return row


def _invalid_token() -> ValidationFailed:
    return ValidationFailed(
        "The link is invalid, was already used or has expired.",
        errors=[
            FieldError(
                "/token",
                "Invalid or expired token. Ungültiger oder abgelaufener Link.",
            )
        ],
    )


async def verify_email(session: AsyncSession, token: str) -> None:
    """Mark the account's email verified; 422 for an unknown, used or expired token."""
    user_id = await repository.consume_account_token(
        session, opaque_token_hash(token), VERIFY_EMAIL
    )
    if user_id is None:
        raise _invalid_token()
    await repository.mark_email_verified(session, user_id)


async def request_password_reset(session: AsyncSession, settings: Settings, email: str) -> None:
    """Email a reset link if a local active account has this address; silent otherwise.

    Requests per address are limited (the limit is silent too), so that nobody can flood
    someone's mailbox.
    """
    normalised = service.checked_email(email)
    key = throttle.subject_key("reset", normalised)
    now = datetime.now(UTC)
    count = await repository.record_throttle_failure(
        session,
        key,
        now=now,
        window=timedelta(seconds=settings.login_window_seconds),
        max_failures=RESETS_PER_WINDOW + 1,
    )
    if count > RESETS_PER_WINDOW:
        return
    row = await repository.get_local_user_by_email(session, normalised)
    if row is None or not row.is_active:
        return
    await _send_token(session, row, PASSWORD_RESET)


async def confirm_password_reset(
    session: AsyncSession, settings: Settings, data: PasswordResetConfirmIn
) -> None:
    """Set the new password; revoke every refresh token and browser session of the account."""
    user_id = await repository.consume_account_token(
        session, opaque_token_hash(data.token), PASSWORD_RESET
    )
    if user_id is None:
        raise _invalid_token()
    row = await repository.get_user(session, user_id)
    if row is None or not row.is_active:
        raise _invalid_token()
    service.checked_password(data.password, row.email)
    await repository.set_password_hash(session, user_id, hash_secret(settings, data.password))
    await repository.revoke_user_refresh_tokens(session, user_id)
    await sessions.end_all_sessions(session, user_id)
    # Following the emailed link proves the address, too.
    await repository.mark_email_verified(session, user_id)
    if row.email is not None:
        await throttle.record_success(session, throttle.subject_key("login", row.email))
