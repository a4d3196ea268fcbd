"""All SQL of the identity context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.identity.tables import (
    AccountTokenRow,
    ApiClientRow,
    AuthThrottleRow,
    RefreshTokenRow,
    UserRow,
)

# Accounts ---------------------------------------------------------------------------------


async def insert_user(session: AsyncSession, values: dict[str, Any]) -> UserRow | None:
    """Insert an account; None when the email (or id) is already taken."""
    stmt = insert(UserRow).values(**values).on_conflict_do_nothing().returning(UserRow)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_user(session: AsyncSession, user_id: UUID) -> UserRow | None:
    return await session.get(UserRow, user_id)


async def get_local_user_by_email(session: AsyncSession, email: str) -> UserRow | None:
    stmt = select(UserRow).where(UserRow.email == email, UserRow.external_issuer.is_(None))
    return (await session.execute(stmt)).scalar_one_or_none()


async def set_password_hash(session: AsyncSession, user_id: UUID, password_hash: str) -> None:
    await session.execute(
        update(UserRow)
        .where(UserRow.id == user_id)
        .values(password_hash=password_hash, updated_at=func.now())
    )


async def mark_email_verified(session: AsyncSession, user_id: UUID) -> None:
    await session.execute(
        update(UserRow)
        .where(UserRow.id == user_id, UserRow.email_verified_at.is_(None))
        .values(email_verified_at=func.now(), updated_at=func.now())
    )


async def update_user(
    session: AsyncSession, user_id: UUID, values: dict[str, Any]
) -> UserRow | None:
    stmt = (
        update(UserRow)
        .where(UserRow.id == user_id)
        .values(**values, updated_at=func.now())
        .returning(UserRow)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_users(
    session: AsyncSession, kind: str, after: tuple[datetime, UUID] | None, limit: int
) -> Sequence[UserRow]:
    """One page of accounts of ``kind``, oldest first (keyset on created_at, id)."""
    stmt = select(UserRow).where(UserRow.kind == kind)
    if after is not None:
        stmt = stmt.where(tuple_(UserRow.created_at, UserRow.id) > tuple_(*after))
    stmt = stmt.order_by(UserRow.created_at, UserRow.id).limit(limit + 1)
    return (await session.execute(stmt)).scalars().all()


async def upsert_external_user(session: AsyncSession, values: dict[str, Any]) -> None:
    """Create or refresh the local record of a person known through an external IdP."""
    stmt = insert(UserRow).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[UserRow.id],
        set_={
            "kind": stmt.excluded.kind,
            "email": stmt.excluded.email,
            "display_name": stmt.excluded.display_name,
            "roles": stmt.excluded.roles,
            "departments": stmt.excluded.departments,
            "email_verified_at": func.coalesce(
                UserRow.email_verified_at, stmt.excluded.email_verified_at
            ),
            "updated_at": func.now(),
        },
    )
    await session.execute(stmt)


# API clients ------------------------------------------------------------------------------


async def insert_client(session: AsyncSession, values: dict[str, Any]) -> ApiClientRow:
    stmt = insert(ApiClientRow).values(**values).returning(ApiClientRow)
    return (await session.execute(stmt)).scalar_one()


async def get_client_by_client_id(session: AsyncSession, client_id: str) -> ApiClientRow | None:
    stmt = select(ApiClientRow).where(ApiClientRow.client_id == client_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_client_by_open311_key(session: AsyncSession, key_hash: bytes) -> ApiClientRow | None:
    stmt = select(ApiClientRow).where(ApiClientRow.open311_key_hash == key_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def set_open311_key_hash(session: AsyncSession, row_id: UUID, key_hash: bytes) -> None:
    await session.execute(
        update(ApiClientRow).where(ApiClientRow.id == row_id).values(open311_key_hash=key_hash)
    )


async def get_client(session: AsyncSession, row_id: UUID) -> ApiClientRow | None:
    return await session.get(ApiClientRow, row_id)


async def list_clients(
    session: AsyncSession, after: tuple[datetime, UUID] | None, limit: int
) -> Sequence[ApiClientRow]:
    stmt = select(ApiClientRow)
    if after is not None:
        stmt = stmt.where(tuple_(ApiClientRow.created_at, ApiClientRow.id) > tuple_(*after))
    stmt = stmt.order_by(ApiClientRow.created_at, ApiClientRow.id).limit(limit + 1)
    return (await session.execute(stmt)).scalars().all()


async def deactivate_client(session: AsyncSession, row_id: UUID) -> bool:
    stmt = (
        update(ApiClientRow)
        .where(ApiClientRow.id == row_id)
        .values(is_active=False)
        .returning(ApiClientRow.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def set_client_secret_hash(session: AsyncSession, row_id: UUID, secret_hash: str) -> None:
    await session.execute(
        update(ApiClientRow).where(ApiClientRow.id == row_id).values(secret_hash=secret_hash)
    )


# Refresh tokens ---------------------------------------------------------------------------


async def insert_refresh_token(
    session: AsyncSession,
    *,
    row_id: UUID,
    token_hash: bytes,
    family_id: UUID,
    user_id: UUID,
    expires_at: datetime,
) -> None:
    await session.execute(
        insert(RefreshTokenRow).values(
            id=row_id,
            token_hash=token_hash,
            family_id=family_id,
            user_id=user_id,
            expires_at=expires_at,
        )
    )


async def consume_refresh_token(session: AsyncSession, token_hash: bytes) -> RefreshTokenRow | None:
    """Mark a live refresh token used (atomically: of two racing uses only one wins)."""
    stmt = (
        update(RefreshTokenRow)
        .where(
            RefreshTokenRow.token_hash == token_hash,
            RefreshTokenRow.used_at.is_(None),
            RefreshTokenRow.revoked_at.is_(None),
            RefreshTokenRow.expires_at > func.now(),
        )
        .values(used_at=func.now())
        .returning(RefreshTokenRow)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_refresh_token(session: AsyncSession, token_hash: bytes) -> RefreshTokenRow | None:
    stmt = select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: UUID) -> None:
    await session.execute(
        update(RefreshTokenRow)
        .where(RefreshTokenRow.family_id == family_id, RefreshTokenRow.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .execution_options(synchronize_session=False)
    )


async def revoke_user_refresh_tokens(session: AsyncSession, user_id: UUID) -> None:
    await session.execute(
        update(RefreshTokenRow)
        .where(RefreshTokenRow.user_id == user_id, RefreshTokenRow.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .execution_options(synchronize_session=False)
    )


# Emailed single-use tokens ----------------------------------------------------------------


async def insert_account_token(
    session: AsyncSession,
    *,
    row_id: UUID,
    token_hash: bytes,
    purpose: str,
    user_id: UUID,
    expires_at: datetime,
) -> None:
    await session.execute(
        insert(AccountTokenRow).values(
            id=row_id,
            token_hash=token_hash,
            purpose=purpose,
            user_id=user_id,
            expires_at=expires_at,
        )
    )


async def consume_account_token(
    session: AsyncSession, token_hash: bytes, purpose: str
) -> UUID | None:
    """Use a live single-use token; the account it belongs to, or None."""
    stmt = (
        update(AccountTokenRow)
        .where(
            AccountTokenRow.token_hash == token_hash,
            AccountTokenRow.purpose == purpose,
            AccountTokenRow.used_at.is_(None),
            AccountTokenRow.expires_at > func.now(),
        )
        .values(used_at=func.now())
        .returning(AccountTokenRow.user_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def expire_account_tokens(session: AsyncSession, user_id: UUID, purpose: str) -> None:
    """Retire the account's other unused tokens of this purpose (only the newest counts)."""
    await session.execute(
        update(AccountTokenRow)
        .where(
            AccountTokenRow.user_id == user_id,
            AccountTokenRow.purpose == purpose,
            AccountTokenRow.used_at.is_(None),
        )
        .values(used_at=func.now())
    )


# Throttling -------------------------------------------------------------------------------


async def throttle_blocked_until(
    session: AsyncSession, keys: Sequence[str], now: datetime
) -> datetime | None:
    """The latest time until which any of ``keys`` is blocked, if one is blocked now."""
    stmt = select(func.max(AuthThrottleRow.blocked_until)).where(
        AuthThrottleRow.key.in_(keys), AuthThrottleRow.blocked_until > now
    )
    result: datetime | None = (await session.execute(stmt)).scalar_one_or_none()
    return result


_RECORD_FAILURE = text(
    """
    INSERT INTO auth_throttle AS t (key, failures, window_started_at, blocked_until)
    VALUES (:key, 1, :now, CASE WHEN CAST(:max_failures AS integer) <= 1 THEN :blocked END)
    ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN t.window_started_at <= :cutoff THEN 1 ELSE t.failures + 1 END,
        window_started_at = CASE
            WHEN t.window_started_at <= :cutoff THEN :now ELSE t.window_started_at END,
        blocked_until = CASE
            WHEN (CASE WHEN t.window_started_at <= :cutoff THEN 1 ELSE t.failures + 1 END)
                 >= :max_failures THEN :blocked
            WHEN t.window_started_at <= :cutoff THEN NULL
            ELSE t.blocked_until END
    RETURNING failures
    """
).bindparams(
    bindparam("key", type_=String()),
    bindparam("now", type_=DateTime(timezone=True)),
    bindparam("cutoff", type_=DateTime(timezone=True)),
    bindparam("blocked", type_=DateTime(timezone=True)),
    bindparam("max_failures", type_=Integer()),
)


async def record_throttle_failure(
    session: AsyncSession,
    key: str,
    *,
    now: datetime,
    window: timedelta,
    max_failures: int,
) -> int:
    """Count one failure for ``key`` in its window, blocking it for a window at the limit.

    One upsert statement, so that concurrent processes count every failure.
    """
    params = {
        "key": key,
        "now": now,
        "cutoff": now - window,
        "blocked": now + window,
        "max_failures": max_failures,
    }
    count: int = (await session.execute(_RECORD_FAILURE, params)).scalar_one()
    return count


async def clear_throttle(session: AsyncSession, keys: Sequence[str]) -> None:
    await session.execute(delete(AuthThrottleRow).where(AuthThrottleRow.key.in_(keys)))


async def prune_throttle(session: AsyncSession, now: datetime, window: timedelta) -> None:
    """Forget stale counters (old window, not blocked)."""
    await session.execute(
        delete(AuthThrottleRow).where(
            AuthThrottleRow.window_started_at < now - window,
            or_(AuthThrottleRow.blocked_until.is_(None), AuthThrottleRow.blocked_until < now),
        )
    )


async def delete_user(session: AsyncSession, user_id: UUID) -> None:
    """The account row; its tokens and browser sessions go with it (ON DELETE CASCADE)."""
    await session.execute(delete(UserRow).where(UserRow.id == user_id))
