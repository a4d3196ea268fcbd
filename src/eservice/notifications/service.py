"""Rules of the notifications API: the inbox and webhook subscriptions with their delivery log.

Functions receive the caller's session and never commit.
"""

from __future__ import annotations

import uuid
from string import Template
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.service import get_published_service
from eservice.core.config import Settings
from eservice.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from eservice.core.pagination import (
    AfterId,
    Page,
    TimeAndId,
    created_key,
    cut_page,
    decode_cursor,
    id_key,
)
from eservice.identity.guards import require_client, require_scope
from eservice.identity.principal import Principal, Scope
from eservice.notifications import delivery_repository, repository
from eservice.notifications.crypto import new_webhook_secret, seal
from eservice.notifications.emails import language
from eservice.notifications.schemas import (
    AttemptOut,
    DeliveryOut,
    NotificationOut,
    SubscriptionIn,
    SubscriptionOut,
)
from eservice.notifications.ssrf import UnsafeTarget, check_target
from eservice.notifications.tables import (
    DeliveryAttemptRow,
    DeliveryRow,
    InboxItemRow,
    SubscriptionRow,
)

MAX_SUBSCRIPTIONS_PER_CLIENT = 50

_INBOX_TITLES: dict[str, dict[str, str]] = {
    "request.submitted": {
        "de": "Antrag $reference eingegangen",
        "en": "Request $reference received",
    },
    "request.transitioned": {
        "de": "Antrag $reference: $state_label",
        "en": "Request $reference: $state_label",
    },
    "request.commented": {
        "de": "Neue Nachricht zu Antrag $reference",
        "en": "New message about request $reference",
    },
    "request.assigned": {
        "de": "Antrag $reference zugewiesen",
        "en": "Request $reference assigned",
    },
    "request.attachment_added": {
        "de": "Neues Dokument zu Antrag $reference",
        "en": "New document for request $reference",
    },
    "request.overdue": {
        "de": "Bearbeitungsfrist überschritten: Antrag $reference",
        "en": "Processing deadline passed: request $reference",
    },
}


# --- inbox ------------------------------------------------------------------------------------


def _label(payload: dict[str, Any], key: str, lang: str) -> str:
    labels = payload.get(key) or {}
    return str(labels.get(lang) or labels.get("de") or "") if isinstance(labels, dict) else ""


def present_notification(row: InboxItemRow, locale: str) -> NotificationOut:
    """An inbox item with its title and text in ``locale``."""
    lang = language(locale)
    payload = row.payload
    state_label = _label(payload, "state_label", lang) or None
    values = {"reference": row.reference, "state_label": state_label or ""}
    title_template = _INBOX_TITLES.get(row.type, {}).get(lang, "$reference")
    service_title = _label(payload, "service_title", lang) or row.service_code
    body = f"{service_title}: {state_label}" if state_label else service_title
    return NotificationOut(
        id=row.id,
        type=row.type,
        title=Template(title_template).safe_substitute(values),
        body=body,
        request_id=row.request_id,
        reference=row.reference,
        service=row.service_code,
        state=payload.get("to_state"),
        state_label=state_label,
        created_at=row.created_at,
        read_at=row.read_at,
        read=row.read_at is not None,
    )


def _require_person(principal: Principal) -> None:
    if principal.is_client:
        raise Forbidden("API clients have no in-app notifications; use webhooks.")


async def list_notifications(
    session: AsyncSession, principal: Principal, *, unread: bool, limit: int, cursor: str | None
) -> Page[NotificationOut]:
    """The caller's notifications, newest first."""
    _require_person(principal)
    key = decode_cursor(cursor, TimeAndId)
    after = None if key is None else (key.at, key.id)
    rows = await repository.list_inbox(
        session, principal.id, unread_only=unread, after=after, limit=limit + 1
    )
    page, next_cursor = cut_page(rows, limit, created_key)
    items = [present_notification(r, principal.locale) for r in page]
    return Page(items=items, next_cursor=next_cursor)


async def mark_notification_read(
    session: AsyncSession, principal: Principal, item_id: UUID
) -> NotificationOut:
    _require_person(principal)
    row = await repository.mark_inbox_item_read(session, principal.id, item_id)
    if row is None:
        raise NotFound("No such notification.")
    return present_notification(row, principal.locale)


# --- subscriptions ----------------------------------------------------------------------------


def _require_manager(principal: Principal) -> None:
    require_client(principal)
    require_scope(principal, Scope.SUBSCRIPTIONS_MANAGE)


def present_subscription(row: SubscriptionRow, secret: str | None = None) -> SubscriptionOut:
    out = SubscriptionOut(
        id=row.id,
        url=row.url,
        events=list(row.events),
        services=None if row.services is None else list(row.services),
        active=row.active,
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
    )
    if secret is not None:
        out.secret = secret
    return out


async def _allowed_services(
    session: AsyncSession, principal: Principal, wanted: list[str] | None
) -> list[str] | None:
    if wanted is None:
        return None if principal.services is None else sorted(principal.services)
    errors = []
    for index, code in enumerate(wanted):
        if not principal.may_use_service(code):
            errors.append(FieldError(f"/services/{index}", "this client may not use this service"))
            continue
        try:
            await get_published_service(session, code)
        except NotFound:
            errors.append(FieldError(f"/services/{index}", "there is no such service"))
    if errors:
        raise ValidationFailed("Some services cannot be subscribed to.", errors=errors)
    return sorted(set(wanted))


async def create_subscription(
    session: AsyncSession, settings: Settings, principal: Principal, data: SubscriptionIn
) -> SubscriptionOut:
    """Register a webhook; the answer carries the signing secret, which is never shown again."""
    _require_manager(principal)
    try:
        await check_target(data.url, settings.webhook_allowed_hosts)
    except UnsafeTarget as exc:
        raise ValidationFailed(
            f"The webhook URL is not allowed: {exc.reason}.",
            errors=[FieldError("/url", exc.reason)],
        ) from None
    services = await _allowed_services(session, principal, data.services)
    if await repository.count_subscriptions(session, principal.id) >= MAX_SUBSCRIPTIONS_PER_CLIENT:
        raise Conflict(f"A client may have at most {MAX_SUBSCRIPTIONS_PER_CLIENT} subscriptions.")
    subscription_id = uuid.uuid4()
    secret = new_webhook_secret()
    row = await repository.insert_subscription(
        session,
        {
            "id": subscription_id,
            "client_id": principal.id,
            "url": data.url,
            "events": list(dict.fromkeys(data.events)),
            "services": services,
            "secret_sealed": seal(secret, settings.secret_key, associated=subscription_id.bytes),
        },
    )
    return present_subscription(row, secret)


async def list_subscriptions(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: str | None
) -> Page[SubscriptionOut]:
    _require_manager(principal)
    key = decode_cursor(cursor, TimeAndId)
    after = None if key is None else (key.at, key.id)
    rows = await repository.list_subscriptions(session, principal.id, after, limit + 1)
    page, next_cursor = cut_page(rows, limit, created_key)
    return Page(items=[present_subscription(r) for r in page], next_cursor=next_cursor)


async def _own_subscription(
    session: AsyncSession, principal: Principal, subscription_id: UUID
) -> SubscriptionRow:
    _require_manager(principal)
    row = await repository.get_subscription(session, subscription_id, principal.id)
    if row is None:
        raise NotFound("No such subscription.")
    return row


async def get_subscription(
    session: AsyncSession, principal: Principal, subscription_id: UUID
) -> SubscriptionOut:
    return present_subscription(await _own_subscription(session, principal, subscription_id))


async def delete_subscription(
    session: AsyncSession, principal: Principal, subscription_id: UUID
) -> None:
    """Remove a subscription and its delivery log; nothing more is sent to it."""
    _require_manager(principal)
    if not await repository.delete_subscription(session, subscription_id, principal.id):
        raise NotFound("No such subscription.")


def present_delivery(row: DeliveryRow, attempts: list[DeliveryAttemptRow]) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        webhook_id=row.message_id,
        event_id=row.event_id,
        event_type=row.event_type,
        state=row.state,  # type: ignore[arg-type]
        attempt_count=len(attempts),
        next_attempt_at=row.next_attempt_at if row.state == "pending" else None,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        attempts=[
            AttemptOut(
                attempt=a.attempt,
                outcome=a.outcome,  # type: ignore[arg-type]
                status_code=a.status_code,
                error=a.error,
                duration_ms=a.duration_ms,
                started_at=a.started_at,
                finished_at=a.finished_at,
            )
            for a in attempts
        ],
    )


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    subscription_id: UUID,
    *,
    limit: int,
    cursor: str | None,
) -> Page[DeliveryOut]:
    """A subscription's deliveries with their attempts, newest first (two queries a page)."""
    await _own_subscription(session, principal, subscription_id)
    key = decode_cursor(cursor, AfterId)
    before = None if key is None else key.id
    rows = await delivery_repository.list_deliveries(session, subscription_id, before, limit + 1)
    page, next_cursor = cut_page(rows, limit, id_key)
    attempts = await delivery_repository.attempts_of(session, [r.id for r in page])
    return Page(items=[present_delivery(r, attempts[r.id]) for r in page], next_cursor=next_cursor)


async def retry_delivery(
    session: AsyncSession, principal: Principal, subscription_id: UUID, delivery_id: int
) -> DeliveryOut:
    """Resend a dead delivery with the same ``webhook-id``; 409 for any other state."""
    subscription = await _own_subscription(session, principal, subscription_id)
    delivery = await delivery_repository.get_delivery(session, subscription_id, delivery_id)
    if delivery is None:
        raise NotFound("No such delivery.")
    if not subscription.active:
        raise Conflict("The subscription is disabled; create a new one to receive events again.")
    if delivery.state != "dead":
        raise Conflict(f"Only dead deliveries can be resent; this one is {delivery.state}.")
    requeued = await delivery_repository.requeue_dead_delivery(session, delivery_id)
    if requeued is None:
        raise Conflict("The delivery changed meanwhile; reload it.")
    attempts = await delivery_repository.attempts_of(session, [delivery_id])
    return present_delivery(requeued, attempts[delivery_id])
