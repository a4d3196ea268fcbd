"""Browser sessions of the web front, stored server-side so that every process shares them.

The cookie carries a random 256-bit value; only its hash is stored. A session ends on logout,
after ``web_session_idle_seconds`` without a request, after ``web_session_max_seconds`` in any
case, when the account is closed, and when its password is reset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.identity import service
from eservice.identity import sessions_repository as repository
from eservice.identity.principal import Principal
from eservice.identity.tokens import new_opaque_token, opaque_token_hash

SESSION_PREFIX = "ws_"
# last_seen_at is written at most this often: a page view should not always cost a write.
TOUCH_EVERY = timedelta(seconds=60)


async def start_session(session: AsyncSession, settings: Settings, user_id: UUID) -> str:
    """A new session for the account; returns the cookie value (shown once, stored hashed)."""
    now = datetime.now(UTC)
    await repository.delete_expired_sessions(session, now)
    token = new_opaque_token(SESSION_PREFIX)
    expires = now + timedelta(seconds=settings.web_session_max_seconds)
    await repository.insert_session(session, opaque_token_hash(token), user_id, now, expires)
    return token


async def principal_for_session(
    session: AsyncSession, settings: Settings, token: str | None
) -> Principal | None:
    """Who holds this session cookie, or None when it is unknown, expired or idle too long."""
    if not token or not token.startswith(SESSION_PREFIX) or len(token) > 100:
        return None
    now = datetime.now(UTC)
    token_hash = opaque_token_hash(token)
    idle_since = now - timedelta(seconds=settings.web_session_idle_seconds)
    found = await repository.find_live_session(session, token_hash, now, idle_since)
    if found is None:
        return None
    row, user = found
    if now - row.last_seen_at > TOUCH_EVERY:
        await repository.touch_session(session, token_hash, now)
    # Roles and verification are read live from the account, never frozen into the cookie.
    return service.principal_for_user(user)


async def end_session(session: AsyncSession, token: str | None) -> None:
    """Logout: the session is deleted, so the cookie is worthless even if it was copied."""
    if token:
        await repository.delete_session(session, opaque_token_hash(token))


async def end_all_sessions(session: AsyncSession, user_id: UUID) -> None:
    """Every browser of the account is logged out (password reset, account closed)."""
    await repository.delete_user_sessions(session, user_id)
