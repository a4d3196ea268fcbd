"""Turning outbox rows into deliveries: email per recipient, inbox item per user, webhook per
matching subscription — all in the transaction that marks the outbox row processed."""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import UTC
from typing import Any

import msgspec
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.catalog.service import get_published_service
from eservice.core.config import Settings
from eservice.core.db import transaction
from eservice.core.errors import NotFound
from eservice.notifications import delivery_repository, repository
from eservice.notifications.emails import RenderError, render_email, service_overrides
from eservice.notifications.events import PublishedEvent
from eservice.notifications.metrics import EVENTS_FANNED_OUT, INBOX_ITEMS
from eservice.notifications.repository import Recipient
from eservice.notifications.tables import OutboxRow

log = logging.getLogger(__name__)

Bilingual = dict[str, str]


class DirectEmail(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The payload of an ``email`` outbox row (see ``outbox.queue_email``)."""

    to: str
    template: str
    locale: str
    context: dict[str, Any]


class EventTexts(msgspec.Struct, frozen=True):
    """Labels of an event in both languages, from the service and workflow definitions."""

    service_title: Bilingual
    state_label: Bilingual
    from_state_label: Bilingual
    transition_label: Bilingual
    definition: object = None


def new_message_id() -> str:
    """A Standard Webhooks message id (also the email's Message-ID); stable across retries."""
    return "msg_" + secrets.token_urlsafe(18)


def webhook_body(event: PublishedEvent) -> dict[str, Any]:
    """The thin body of a webhook and of a live-stream event: ids and states, no personal data."""
    return {
        "type": event.type,
        "timestamp": event.occurred_at.astimezone(UTC).isoformat(),
        "data": {
            "event_id": event.event_id,
            "request_id": str(event.request_id),
            "reference": event.reference,
            "service": {"code": event.service_code, "version": event.service_version},
            "department": event.department,
            "visibility": event.visibility,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "transition": event.transition,
            "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        },
    }


async def fan_out_batch(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, limit: int
) -> int:
    """Process up to ``limit`` outbox rows in one transaction; returns how many were taken."""
    async with transaction(sessionmaker) as session:
        rows = await repository.claim_outbox_rows(session, limit)
        for row in rows:
            error: str | None = None
            try:
                async with session.begin_nested():
                    await fan_out_row(session, settings, row)
            except SQLAlchemyError:
                raise
            except (msgspec.ValidationError, RenderError, KeyError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                log.error(
                    "outbox row cannot be delivered", extra={"outbox_id": row.id, "error": error}
                )
            await repository.mark_outbox_processed(session, row.id, error)
            EVENTS_FANNED_OUT.labels(kind=row.kind).inc()
    return len(rows)


async def fan_out_row(session: AsyncSession, settings: Settings, row: OutboxRow) -> None:
    if row.kind == "email":
        await _fan_out_email(session, settings, row)
    else:
        event = msgspec.convert(row.payload, PublishedEvent)
        await fan_out_event(session, settings, event, outbox_id=row.id)


async def _fan_out_email(session: AsyncSession, settings: Settings, row: OutboxRow) -> None:
    mail = msgspec.convert(row.payload, DirectEmail)
    context = {"public_url": settings.public_url, **mail.context}
    rendered = render_email(mail.template, mail.locale, context)
    await delivery_repository.insert_deliveries(
        session,
        [_email_delivery(row.id, None, mail.template, mail.to, msgspec.to_builtins(rendered))],
    )


def _email_delivery(
    outbox_id: int, event_id: int | None, template: str, to: str, rendered: dict[str, Any]
) -> dict[str, Any]:
    return {
        "outbox_id": outbox_id,
        "event_id": event_id,
        "channel": "email",
        "message_id": new_message_id(),
        "event_type": template,
        "payload": {"to": to, "template": template, **rendered},
    }


async def fan_out_event(
    session: AsyncSession, settings: Settings, event: PublishedEvent, *, outbox_id: int
) -> None:
    """Deliveries and inbox items for one committed event."""
    recipients = await recipients_of(session, event)
    texts = await event_texts(session, event)
    deliveries: list[dict[str, Any]] = []
    inbox: list[dict[str, Any]] = []
    for recipient in recipients:
        inbox.append(_inbox_item(recipient, event, texts))
        if recipient.email:
            context = _email_context(settings, recipient, event, texts)
            override = service_overrides(texts.definition, event.type, recipient.locale)
            rendered = render_email(event.type, recipient.locale, context, override)
            deliveries.append(
                _email_delivery(
                    outbox_id,
                    event.event_id,
                    event.type,
                    recipient.email,
                    msgspec.to_builtins(rendered),
                )
            )
    body = msgspec.json.encode(webhook_body(event)).decode()
    for subscription in await repository.matching_subscriptions(
        session, event.type, event.service_code
    ):
        deliveries.append(
            {
                "outbox_id": outbox_id,
                "event_id": event.event_id,
                "channel": "webhook",
                "subscription_id": subscription.id,
                "message_id": new_message_id(),
                "event_type": event.type,
                "payload": {"body": body},
            }
        )
    created = await repository.insert_inbox_items(session, inbox)
    INBOX_ITEMS.inc(created)
    await delivery_repository.insert_deliveries(session, deliveries)


async def recipients_of(session: AsyncSession, event: PublishedEvent) -> list[Recipient]:
    """The users the workflow wants told, once each; citizens never hear of internal events."""
    found: dict[uuid.UUID, Recipient] = {}
    ids = []
    if "applicant" in event.notify and event.applicant_id is not None:
        ids.append(event.applicant_id)
    if "assignee" in event.notify and event.assignee_id is not None:
        ids.append(event.assignee_id)
    for user in await repository.users_by_ids(session, ids):
        found[user.id] = user
    if "department" in event.notify:
        for user in await repository.staff_of_department(session, event.department):
            found.setdefault(user.id, user)
    recipients = list(found.values())
    if event.visibility != "public":
        recipients = [r for r in recipients if r.kind != "citizen"]
    return recipients


async def event_texts(session: AsyncSession, event: PublishedEvent) -> EventTexts:
    """Service title and state/transition labels in de and en (codes when unknown)."""

    def both(text: str | None) -> Bilingual:
        return {"de": text or "", "en": text or ""}

    fallback = EventTexts(
        service_title=both(event.service_code),
        state_label=both(event.to_state),
        from_state_label=both(event.from_state),
        transition_label=both(event.transition),
    )
    try:
        published = await get_published_service(session, event.service_code, event.service_version)
    except NotFound:
        return fallback
    workflow = published.workflow

    def labels(kind: str, name: str | None) -> Bilingual:
        if name is None:
            return both(None)
        try:
            found = workflow.state(name) if kind == "state" else workflow.transition(name)
        except KeyError:
            return both(name)
        return {"de": found.label.de, "en": found.label.en}

    title = published.definition.title
    return EventTexts(
        service_title={"de": title.de, "en": title.en},
        state_label=labels("state", event.to_state),
        from_state_label=labels("state", event.from_state),
        transition_label=labels("transition", event.transition),
        definition=published.definition,
    )


def _pick(labels: Bilingual, lang: str) -> str:
    return labels.get(lang) or labels.get("de") or ""


def _email_context(
    settings: Settings, recipient: Recipient, event: PublishedEvent, texts: EventTexts
) -> dict[str, str]:
    lang = "en" if recipient.locale.lower().startswith("en") else "de"
    return {
        "display_name": recipient.display_name,
        "reference": event.reference,
        "service_title": _pick(texts.service_title, lang),
        "state_label": _pick(texts.state_label, lang),
        "from_state_label": _pick(texts.from_state_label, lang),
        "transition_label": _pick(texts.transition_label, lang),
        "request_url": f"{settings.public_url.rstrip('/')}/api/v1/requests/{event.request_id}",
        "occurred_at": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "public_url": settings.public_url,
    }


def _inbox_item(recipient: Recipient, event: PublishedEvent, texts: EventTexts) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "user_id": recipient.id,
        "event_id": event.event_id,
        "type": event.type,
        "request_id": event.request_id,
        "reference": event.reference,
        "service_code": event.service_code,
        "created_at": event.occurred_at,
        "payload": {
            "service_version": event.service_version,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "transition": event.transition,
            "service_title": texts.service_title,
            "state_label": texts.state_label,
            "from_state_label": texts.from_state_label,
            "transition_label": texts.transition_label,
        },
    }
