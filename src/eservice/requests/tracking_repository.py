"""All SQL of public reports: reporter contacts and tracking tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.requests.tables import RequestContactRow, RequestRow, TrackingTokenRow


async def insert_tracking_token(session: AsyncSession, request_id: UUID, token_hash: bytes) -> None:
    await session.execute(
        insert(TrackingTokenRow).values(token_hash=token_hash, request_id=request_id)
    )


async def request_for_token(session: AsyncSession, token_hash: bytes) -> RequestRow | None:
    """The request a tracking token belongs to."""
    query = (
        select(RequestRow)
        .join(TrackingTokenRow, TrackingTokenRow.request_id == RequestRow.id)
        .where(TrackingTokenRow.token_hash == token_hash)
    )
    row: RequestRow | None = await session.scalar(query)
    return row


async def insert_contact(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(RequestContactRow).values(**values))


async def reachable_contact(session: AsyncSession, request_id: UUID) -> RequestContactRow | None:
    """The contact of a request if it has an email address and has not unsubscribed."""
    query = select(RequestContactRow).where(
        RequestContactRow.request_id == request_id,
        RequestContactRow.email.is_not(None),
        RequestContactRow.unsubscribed_at.is_(None),
    )
    row: RequestContactRow | None = await session.scalar(query)
    return row


async def unsubscribe(session: AsyncSession, token: str, now: datetime) -> bool:
    """Stop the emails of the contact holding ``token``; False when no contact has it."""
    result = await session.execute(
        update(RequestContactRow)
        .where(RequestContactRow.unsubscribe_token == token)
        .values(unsubscribed_at=now)
        .returning(RequestContactRow.request_id)
    )
    return result.first() is not None
