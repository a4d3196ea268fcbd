"""All SQL of the notifications context: outbox, recipients, inbox and subscriptions.

Deliveries and their attempts are in ``delivery_repository``. Recipients are read from the
identity context's ``users`` table (email, display name, language, departments).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    and_,
    delete,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.identity.tables import UserRow
from eservice.notifications.tables import (
    DeliveryRow,
    InboxItemRow,
    OutboxRow,
    SubscriptionRow,
)


class Recipient(msgspec.Struct, frozen=True):
    """A user to notify: where to write and in which language."""

    id: UUID
    kind: str
    email: str | None
    display_name: str
    locale: str


# --- outbox -----------------------------------------------------------------------------------


async def claim_outbox_rows(session: AsyncSession, limit: int) -> list[OutboxRow]:
    """Unprocessed outbox rows, oldest first, locked; rows other workers hold are skipped."""
    query = (
        select(OutboxRow)
        .where(OutboxRow.processed_at.is_(None))
        .order_by(OutboxRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def mark_outbox_processed(
    session: AsyncSession, outbox_id: int, error: str | None = None
) -> None:
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id)
        .values(processed_at=func.now(), error=error)
    )


def _event_id_expr() -> ColumnElement[int]:
    # The same expression as the index ix_outbox_event_id, so that the index is used.
    return literal_column("((outbox.payload->>'event_id')::bigint)", BigInteger)


async def events_after(session: AsyncSession, event_id: int, limit: int) -> list[dict[str, Any]]:
    """Published events with an id above ``event_id``, oldest first (for Last-Event-ID)."""
    expr = _event_id_expr()
    query = (
        select(OutboxRow.payload)
        .where(OutboxRow.kind == "event", expr > event_id)
        .order_by(expr)
        .limit(limit)
    )
    return [dict(p) for p in (await session.scalars(query)).all()]


async def event_by_id(session: AsyncSession, event_id: int) -> dict[str, Any] | None:
    """The published event ``event_id`` (its outbox payload), if it was committed."""
    query = (
        select(OutboxRow.payload)
        .where(OutboxRow.kind == "event", _event_id_expr() == event_id)
        .limit(1)
    )
    payload = await session.scalar(query)
    return dict(payload) if payload is not None else None


async def outbox_backlog(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxRow.kind, func.count())
        .where(OutboxRow.processed_at.is_(None))
        .group_by(OutboxRow.kind)
    )
    return {kind: int(count) for kind, count in rows.all()}


# --- recipients (identity's users table, read only) ----------------------------------------


_RECIPIENT_COLUMNS = (UserRow.id, UserRow.kind, UserRow.email, UserRow.display_name, UserRow.locale)


async def users_by_ids(session: AsyncSession, ids: Sequence[UUID]) -> list[Recipient]:
    """Active accounts among ``ids``."""
    if not ids:
        return []
    rows = await session.execute(
        select(*_RECIPIENT_COLUMNS).where(UserRow.id.in_(list(ids)), UserRow.is_active.is_(True))
    )
    return [Recipient(*row) for row in rows.all()]


async def staff_of_department(session: AsyncSession, department: str) -> list[Recipient]:
    """Active staff whose roles cover ``department``."""
    rows = await session.execute(
        select(*_RECIPIENT_COLUMNS).where(
            UserRow.kind == "staff",
            UserRow.is_active.is_(True),
            type_coerce(UserRow.departments, ARRAY(String)).contains([department]),
        )
    )
    return [Recipient(*row) for row in rows.all()]


# --- inbox ------------------------------------------------------------------------------------


async def insert_inbox_items(session: AsyncSession, items: list[dict[str, Any]]) -> int:
    """Insert in-app notifications; one per user and event (repeats are ignored)."""
    if not items:
        return 0
    statement = (
        pg_insert(InboxItemRow)
        .values(items)
        .on_conflict_do_nothing(index_elements=["user_id", "event_id"])
        .returning(InboxItemRow.id)
    )
    return len((await session.scalars(statement)).all())


async def list_inbox(
    session: AsyncSession,
    user_id: UUID,
    *,
    unread_only: bool,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[InboxItemRow]:
    """A user's notifications, newest first; ``after`` is the last (created_at, id) seen."""
    query = select(InboxItemRow).where(InboxItemRow.user_id == user_id)
    if unread_only:
        query = query.where(InboxItemRow.read_at.is_(None))
    if after is not None:
        created, item_id = after
        query = query.where(
            or_(
                InboxItemRow.created_at < created,
                and_(InboxItemRow.created_at == created, InboxItemRow.id < item_id),
            )
        )
    query = query.order_by(InboxItemRow.created_at.desc(), InboxItemRow.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def mark_inbox_item_read(
    session: AsyncSession, user_id: UUID, item_id: UUID
) -> InboxItemRow | None:
    """Set ``read_at`` (keeping the first time) on the user's own item; None if not theirs."""
    statement = (
        update(InboxItemRow)
        .where(InboxItemRow.id == item_id, InboxItemRow.user_id == user_id)
        .values(read_at=func.coalesce(InboxItemRow.read_at, func.now()))
        .returning(InboxItemRow)
    )
    return (await session.scalars(statement)).one_or_none()


# --- subscriptions ----------------------------------------------------------------------------


async def matching_subscriptions(
    session: AsyncSession, event_type: str, service_code: str
) -> list[SubscriptionRow]:
    """Active subscriptions that want ``event_type`` for ``service_code``."""
    query = select(SubscriptionRow).where(
        SubscriptionRow.active.is_(True),
        SubscriptionRow.events.contains([event_type]),
        or_(SubscriptionRow.services.is_(None), SubscriptionRow.services.contains([service_code])),
    )
    return list((await session.scalars(query)).all())


async def insert_subscription(session: AsyncSession, values: dict[str, Any]) -> SubscriptionRow:
    statement = pg_insert(SubscriptionRow).values(values).returning(SubscriptionRow)
    return (await session.scalars(statement)).one()


async def count_subscriptions(session: AsyncSession, client_id: UUID) -> int:
    count = await session.scalar(select(func.count()).where(SubscriptionRow.client_id == client_id))
    return int(count or 0)


async def list_subscriptions(
    session: AsyncSession, client_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> list[SubscriptionRow]:
    """A client's subscriptions, oldest first."""
    query = select(SubscriptionRow).where(SubscriptionRow.client_id == client_id)
    if after is not None:
        created, sub_id = after
        query = query.where(
            or_(
                SubscriptionRow.created_at > created,
                and_(SubscriptionRow.created_at == created, SubscriptionRow.id > sub_id),
            )
        )
    query = query.order_by(SubscriptionRow.created_at, SubscriptionRow.id).limit(limit)
    return list((await session.scalars(query)).all())


async def get_subscription(
    session: AsyncSession, subscription_id: UUID, client_id: UUID | None = None
) -> SubscriptionRow | None:
    """The subscription, optionally only when ``client_id`` owns it."""
    query = select(SubscriptionRow).where(SubscriptionRow.id == subscription_id)
    if client_id is not None:
        query = query.where(SubscriptionRow.client_id == client_id)
    return (await session.scalars(query)).one_or_none()


async def delete_subscription(
    session: AsyncSession, subscription_id: UUID, client_id: UUID
) -> bool:
    """Remove the subscription with its delivery log; False when the client has no such one."""
    result = await session.execute(
        delete(SubscriptionRow)
        .where(SubscriptionRow.id == subscription_id, SubscriptionRow.client_id == client_id)
        .returning(SubscriptionRow.id)
    )
    return result.first() is not None


async def disable_subscription(session: AsyncSession, subscription_id: UUID, reason: str) -> None:
    """Stop delivering to a subscription and cancel what was still waiting for it."""
    await session.execute(
        update(SubscriptionRow)
        .where(SubscriptionRow.id == subscription_id, SubscriptionRow.active.is_(True))
        .values(active=False, disabled_reason=reason, disabled_at=func.now())
    )
    await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.subscription_id == subscription_id, DeliveryRow.state == "pending")
        .values(state="cancelled", lease_token=None, updated_at=func.now(), last_error=reason)
    )
