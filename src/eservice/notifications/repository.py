"""All SQL of the notifications context: outbox, recipients, inbox and subscriptions.

Deliveries and their attempts are in ``delivery_repository``. Recipients are read from the
identity context's ``users`` table (email, display name, language, departments).

The worker's fan-out runs a fixed handful of statements per batch of outbox rows, straight
through asyncpg (see ``core.db.driver_connection``): rows are written as arrays through
``unnest``, so one statement text (and one prepared statement) serves any batch size.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    delete,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.db import json_text
from eservice.core.transaction import driver_connection
from eservice.events.tables import OutboxRow
from eservice.notifications.tables import (
    DeliveryRow,
    InboxItemRow,
    SubscriptionRow,
)


class Recipient(msgspec.Struct, frozen=True):
    """A user to notify: where to write and in which language (and, for staff, for whom)."""

    id: UUID
    kind: str
    email: str | None
    display_name: str
    locale: str
    departments: tuple[str, ...] = ()


class OutboxMessage(msgspec.Struct, frozen=True):
    """A claimed outbox row; ``payload`` is its JSON text."""

    id: int
    kind: str
    payload: str


class NewInboxItem(msgspec.Struct, frozen=True):
    """An in-app notification to write (one per user and event)."""

    id: UUID
    user_id: UUID
    event_id: int
    type: str
    request_id: UUID
    reference: str
    service_code: str
    created_at: datetime
    payload: dict[str, Any]


class SubscriptionFilter(msgspec.Struct, frozen=True):
    """What an active subscription wants: event types and, unless None, only these services."""

    id: UUID
    events: list[str]
    services: list[str] | None

    def wants(self, event_type: str, service_code: str) -> bool:
        """The same test as a query on the table: type listed; all services or this one."""
        return event_type in self.events and (
            self.services is None or service_code in self.services
        )


# --- outbox -----------------------------------------------------------------------------------

_CLAIM_OUTBOX = (
    "SELECT id, kind, payload::text FROM outbox WHERE processed_at IS NULL "
    "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"
)
_MARK_OUTBOX_PROCESSED = (
    "UPDATE outbox SET processed_at = now(), error = done.error "
    "FROM unnest($1::bigint[], $2::text[]) AS done(id, error) WHERE outbox.id = done.id"
)


async def claim_outbox_rows(session: AsyncSession, limit: int) -> list[OutboxMessage]:
    """Unprocessed outbox rows, oldest first, locked; rows other workers hold are skipped."""
    connection = await driver_connection(session)
    return [OutboxMessage(*record) for record in await connection.fetch(_CLAIM_OUTBOX, limit)]


async def mark_outbox_processed(
    session: AsyncSession, outcomes: Sequence[tuple[int, str | None]]
) -> None:
    """Mark outbox rows processed, each with its error (None when it was fanned out)."""
    if not outcomes:
        return
    connection = await driver_connection(session)
    await connection.execute(
        _MARK_OUTBOX_PROCESSED, [i for i, _ in outcomes], [e for _, e in outcomes]
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


_SELECT_RECIPIENTS = (
    "SELECT id, kind, email, display_name, locale, departments FROM users "
    "WHERE id = ANY($1::uuid[]) AND is_active "
    "UNION ALL "
    "SELECT id, kind, email, display_name, locale, departments FROM users "
    "WHERE kind = 'staff' AND is_active AND departments && $2::varchar[]"
)


async def recipients(
    session: AsyncSession, ids: Collection[UUID], departments: Collection[str]
) -> list[Recipient]:
    """Active accounts among ``ids`` and active staff of any of ``departments``, in one query.

    A user may come back twice (by id and as staff); callers key them by id.
    """
    if not ids and not departments:
        return []
    connection = await driver_connection(session)
    records = await connection.fetch(_SELECT_RECIPIENTS, list(ids), list(departments))
    return [
        Recipient(
            id=r["id"],
            kind=r["kind"],
            email=r["email"],
            display_name=r["display_name"],
            locale=r["locale"],
            departments=tuple(r["departments"] or ()),
        )
        for r in records
    ]


# --- inbox ------------------------------------------------------------------------------------

_INSERT_INBOX_ITEMS = (
    "WITH inserted AS ("
    "INSERT INTO inbox_items "
    "(id, user_id, event_id, type, request_id, reference, service_code, created_at, payload) "
    "SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::uuid[], "
    "$6::text[], $7::text[], $8::timestamptz[], $9::jsonb[]) "
    "ON CONFLICT (user_id, event_id) DO NOTHING RETURNING 1) "
    "SELECT count(*) FROM inserted"
)


async def insert_inbox_items(session: AsyncSession, items: Sequence[NewInboxItem]) -> int:
    """Insert in-app notifications in one statement; one per user and event (repeats are
    ignored). Returns how many were new."""
    if not items:
        return 0
    connection = await driver_connection(session)
    created = await connection.fetchval(
        _INSERT_INBOX_ITEMS,
        [i.id for i in items],
        [i.user_id for i in items],
        [i.event_id for i in items],
        [i.type for i in items],
        [i.request_id for i in items],
        [i.reference for i in items],
        [i.service_code for i in items],
        [i.created_at for i in items],
        [json_text(i.payload) for i in items],
    )
    return int(created)


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


_SELECT_SUBSCRIPTION_FILTERS = (
    "SELECT id, events, services FROM webhook_subscriptions "
    "WHERE active AND events && $1::varchar[] AND (services IS NULL OR services && $2::varchar[])"
)


async def subscription_filters(
    session: AsyncSession, event_types: Collection[str], service_codes: Collection[str]
) -> list[SubscriptionFilter]:
    """Active subscriptions that want any of ``event_types`` for any of ``service_codes``;
    ``SubscriptionFilter.wants`` tells which event exactly."""
    if not event_types:
        return []
    connection = await driver_connection(session)
    records = await connection.fetch(
        _SELECT_SUBSCRIPTION_FILTERS, list(event_types), list(service_codes)
    )
    return [
        SubscriptionFilter(id=r["id"], events=list(r["events"]), services=r["services"])
        for r in records
    ]


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
