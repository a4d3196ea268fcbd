"""What the notifications context forgets: everything it queued or sent about a request or a
person (outbox rows, deliveries with their attempts, inbox items)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.events.tables import OutboxRow
from eservice.notifications.service import present_notification
from eservice.notifications.tables import DeliveryRow, InboxItemRow

# The tables whose rows about a request or a person this context removes (see
# eservice.privacy.registry and its schema test). Attempts go with their delivery (CASCADE).
FORGETS = frozenset({"outbox", "deliveries", "delivery_attempts", "inbox_items"})


async def forget_request(session: AsyncSession, request_id: UUID, event_ids: Sequence[int]) -> None:
    """Outbox rows, deliveries and inbox items of a request and its history ``event_ids``
    (a delivery names its event and outbox row, not the request)."""
    outbox = OutboxRow.kind == "event", OutboxRow.payload["request_id"].astext == str(request_id)
    await session.execute(
        delete(DeliveryRow).where(
            or_(
                DeliveryRow.event_id.in_(list(event_ids)),
                DeliveryRow.outbox_id.in_(select(OutboxRow.id).where(*outbox)),
            )
        )
    )
    await session.execute(delete(OutboxRow).where(*outbox))
    await session.execute(delete(InboxItemRow).where(InboxItemRow.request_id == request_id))


async def forget_person(session: AsyncSession, user_id: UUID, email: str | None) -> None:
    """A person's inbox, and every email queued or sent to their address."""
    await session.execute(delete(InboxItemRow).where(InboxItemRow.user_id == user_id))
    if email is None:
        return
    await session.execute(
        delete(DeliveryRow).where(
            DeliveryRow.channel == "email", DeliveryRow.payload["to"].astext == email
        )
    )
    await session.execute(
        delete(OutboxRow).where(OutboxRow.kind == "email", OutboxRow.payload["to"].astext == email)
    )


async def export_inbox(session: AsyncSession, user_id: UUID, locale: str) -> list[dict[str, Any]]:
    """A person's in-app notifications, as they see them (Art. 15 export)."""
    rows = await session.scalars(
        select(InboxItemRow)
        .where(InboxItemRow.user_id == user_id)
        .order_by(InboxItemRow.created_at, InboxItemRow.id)
    )
    return [msgspec.to_builtins(present_notification(row, locale)) for row in rows]


async def forget_sent_emails(session: AsyncSession, template: str) -> int:
    """Emails of ``template`` that are out (or given up): their address and text go now,
    not after the usual delivery-log period (the last email to an erased account)."""
    result = await session.execute(
        delete(DeliveryRow).where(
            DeliveryRow.channel == "email",
            DeliveryRow.event_type == template,
            DeliveryRow.state != "pending",
        )
    )
    done = select(DeliveryRow.id).where(DeliveryRow.outbox_id == OutboxRow.id)
    await session.execute(
        delete(OutboxRow).where(
            OutboxRow.kind == "email",
            OutboxRow.payload["template"].astext == template,
            OutboxRow.processed_at.is_not(None),
            ~done.exists(),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
