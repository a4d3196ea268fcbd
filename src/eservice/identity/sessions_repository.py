"""All SQL of browser sessions (the web front's login, stored server-side)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.identity.tables import UserRow, WebSessionRow


async def insert_session(
    session: AsyncSession, token_hash: bytes, user_id: UUID, now: datetime, expires_at: datetime
) -> None:
    session.add(
        WebSessionRow(
            token_hash=token_hash,
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()


async def find_live_session(
    session: AsyncSession, token_hash: bytes, now: datetime, idle_since: datetime
) -> tuple[WebSessionRow, UserRow] | None:
    """The session and its account, unless expired, idle too long or the account is closed."""
    stmt = (
        select(WebSessionRow, UserRow)
        .join(UserRow, UserRow.id == WebSessionRow.user_id)
        .where(
            WebSessionRow.token_hash == token_hash,
            WebSessionRow.expires_at > now,
            WebSessionRow.last_seen_at > idle_since,
            UserRow.is_active.is_(True),
        )
    )
    found = (await session.execute(stmt)).one_or_none()
    return None if found is None else (found[0], found[1])


async def touch_session(session: AsyncSession, token_hash: bytes, now: datetime) -> None:
    await session.execute(
        update(WebSessionRow).where(WebSessionRow.token_hash == token_hash).values(last_seen_at=now)
    )


async def delete_session(session: AsyncSession, token_hash: bytes) -> None:
    await session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash))


async def delete_user_sessions(session: AsyncSession, user_id: UUID) -> None:
    await session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))


async def delete_expired_sessions(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
