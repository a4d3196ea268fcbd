"""What the notifications context forgets: everything it queued or sent about a request or a
person (outbox rows, deliveries with their attempts, inbox items)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.notifications.tables import DeliveryRow, InboxItemRow, OutboxRow

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
