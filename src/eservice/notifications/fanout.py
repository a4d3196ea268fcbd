"""Turning outbox rows into deliveries: email per recipient, inbox item per user, webhook per
matching subscription — a batch of rows at a time, in the transaction that marks them processed.

A batch reads what it needs once (the recipients of all its events and the staff of their
departments in one query, the subscriptions that may match in another, each service version's
texts once), renders everything in Python and then writes with one statement per table. A row
that cannot be delivered at all (malformed payload, unknown template) writes nothing and is
marked processed with its error; a database error rolls the whole batch back to be retried.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC
from typing import Any

import asyncpg
import msgspec
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.catalog.service import PublishedService, get_published_service
from eservice.core.config import Settings
from eservice.core.errors import NotFound
from eservice.core.transaction import transaction
from eservice.events.schemas import PublishedEvent
from eservice.notifications import delivery_repository, repository
from eservice.notifications.delivery_repository import NewDelivery
from eservice.notifications.emails import RenderError, render_email, service_overrides
from eservice.notifications.metrics import EVENTS_FANNED_OUT, INBOX_ITEMS
from eservice.notifications.repository import (
    NewInboxItem,
    OutboxMessage,
    Recipient,
    SubscriptionFilter,
)

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


# What makes a single row undeliverable (the rest of its batch still goes through).
UNDELIVERABLE = (msgspec.ValidationError, RenderError, KeyError, ValueError)
# What rolls the whole batch back, whichever layer the statement went through (the batch's
# statements go through asyncpg, and one of asyncpg's interface errors is also a ValueError,
# so these are told apart first).
DATABASE_ERRORS = (SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError)

ServiceTexts = dict[tuple[str, int], PublishedService | None]


class Audience(msgspec.Struct, frozen=True):
    """What a batch of events may notify, read once: users by id, active staff by department,
    and the active subscriptions that want any of the batch's event types."""

    users: dict[uuid.UUID, Recipient]
    staff: dict[str, list[Recipient]]
    subscriptions: list[SubscriptionFilter]


class Fanned(msgspec.Struct):
    """The rows one batch writes."""

    inbox: list[NewInboxItem] = msgspec.field(default_factory=list)
    deliveries: list[NewDelivery] = msgspec.field(default_factory=list)


async def fan_out_batch(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, limit: int
) -> int:
    """Process up to ``limit`` outbox rows in one transaction; returns how many were taken."""
    async with transaction(sessionmaker) as session:
        rows = await repository.claim_outbox_rows(session, limit)
        if not rows:
            return 0
        errors: dict[int, str] = {}
        decoded: list[tuple[OutboxMessage, PublishedEvent | DirectEmail]] = []
        for row in rows:
            try:
                decoded.append((row, decode_outbox_row(row)))
            except UNDELIVERABLE as exc:
                errors[row.id] = _undeliverable(row, exc)
        audience = await read_audience(
            session, [m for _, m in decoded if isinstance(m, PublishedEvent)]
        )
        services: ServiceTexts = {}
        fanned = Fanned()
        for row, message in decoded:
            try:
                written = await _fan_out_message(
                    session, settings, row.id, message, audience=audience, services=services
                )
            except DATABASE_ERRORS:
                raise
            except UNDELIVERABLE as exc:
                errors[row.id] = _undeliverable(row, exc)
                continue
            fanned.inbox.extend(written.inbox)
            fanned.deliveries.extend(written.deliveries)
        created = await repository.insert_inbox_items(session, fanned.inbox)
        await delivery_repository.insert_deliveries(session, fanned.deliveries)
        await repository.mark_outbox_processed(session, [(r.id, errors.get(r.id)) for r in rows])
    INBOX_ITEMS.inc(created)
    for row in rows:
        EVENTS_FANNED_OUT.labels(kind=row.kind).inc()
    return len(rows)


def decode_outbox_row(row: OutboxMessage) -> PublishedEvent | DirectEmail:
    """The payload of an ``email`` row, or the published event of any other row."""
    if row.kind == "email":
        return msgspec.json.decode(row.payload, type=DirectEmail)
    return msgspec.json.decode(row.payload, type=PublishedEvent)


def _undeliverable(row: OutboxMessage, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:500]
    log.error("outbox row cannot be delivered", extra={"outbox_id": row.id, "error": error})
    return error


async def _fan_out_message(
    session: AsyncSession,
    settings: Settings,
    outbox_id: int,
    message: PublishedEvent | DirectEmail,
    *,
    audience: Audience,
    services: ServiceTexts,
) -> Fanned:
    if isinstance(message, DirectEmail):
        return Fanned(deliveries=[direct_email_delivery(settings, outbox_id, message)])
    published = await published_service(session, message, services)
    return fan_out_event(settings, message, audience, event_texts(message, published), outbox_id)


def direct_email_delivery(settings: Settings, outbox_id: int, mail: DirectEmail) -> NewDelivery:
    """The delivery of a direct email (e.g. a verification link)."""
    context = {"public_url": settings.public_url, **mail.context}
    rendered = render_email(mail.template, mail.locale, context)
    return _email_delivery(outbox_id, None, mail.template, mail.to, msgspec.to_builtins(rendered))


def _email_delivery(
    outbox_id: int, event_id: int | None, template: str, to: str, rendered: dict[str, Any]
) -> NewDelivery:
    return NewDelivery(
        outbox_id=outbox_id,
        event_id=event_id,
        channel="email",
        message_id=new_message_id(),
        event_type=template,
        payload={"to": to, "template": template, **rendered},
    )


async def read_audience(session: AsyncSession, events: Iterable[PublishedEvent]) -> Audience:
    """Everyone and everything the ``events`` may notify, in two queries for the whole batch."""
    ids: set[uuid.UUID] = set()
    departments: set[str] = set()
    event_types: set[str] = set()
    service_codes: set[str] = set()
    for event in events:
        if "applicant" in event.notify and event.applicant_id is not None:
            ids.add(event.applicant_id)
        if "assignee" in event.notify and event.assignee_id is not None:
            ids.add(event.assignee_id)
        if "department" in event.notify:
            departments.add(event.department)
        event_types.add(event.type)
        service_codes.add(event.service_code)
    users = {u.id: u for u in await repository.recipients(session, ids, departments)}
    staff = {
        department: [u for u in users.values() if u.kind == "staff" and department in u.departments]
        for department in departments
    }
    subscriptions = await repository.subscription_filters(session, event_types, service_codes)
    return Audience(users=users, staff=staff, subscriptions=subscriptions)


def fan_out_event(
    settings: Settings,
    event: PublishedEvent,
    audience: Audience,
    texts: EventTexts,
    outbox_id: int,
) -> Fanned:
    """Deliveries and inbox items for one committed event."""
    fanned = Fanned()
    for recipient in recipients_of(event, audience):
        fanned.inbox.append(_inbox_item(recipient, event, texts))
        if recipient.email:
            context = _email_context(settings, recipient, event, texts)
            override = service_overrides(texts.definition, event.type, recipient.locale)
            rendered = render_email(event.type, recipient.locale, context, override)
            fanned.deliveries.append(
                _email_delivery(
                    outbox_id,
                    event.event_id,
                    event.type,
                    recipient.email,
                    msgspec.to_builtins(rendered),
                )
            )
    subscribers = [s for s in audience.subscriptions if s.wants(event.type, event.service_code)]
    if subscribers:
        body = msgspec.json.encode(webhook_body(event)).decode()
        fanned.deliveries.extend(
            NewDelivery(
                outbox_id=outbox_id,
                event_id=event.event_id,
                channel="webhook",
                subscription_id=subscription.id,
                message_id=new_message_id(),
                event_type=event.type,
                payload={"body": body},
            )
            for subscription in subscribers
        )
    return fanned


def recipients_of(event: PublishedEvent, audience: Audience) -> list[Recipient]:
    """The users the workflow wants told, once each; citizens never hear of internal events."""
    found: dict[uuid.UUID, Recipient] = {}
    ids = []
    if "applicant" in event.notify and event.applicant_id is not None:
        ids.append(event.applicant_id)
    if "assignee" in event.notify and event.assignee_id is not None:
        ids.append(event.assignee_id)
    for user_id in ids:
        user = audience.users.get(user_id)
        if user is not None:
            found[user.id] = user
    if "department" in event.notify:
        for user in audience.staff.get(event.department, ()):
            found.setdefault(user.id, user)
    recipients = list(found.values())
    if event.visibility != "public":
        recipients = [r for r in recipients if r.kind != "citizen"]
    return recipients


async def published_service(
    session: AsyncSession, event: PublishedEvent, services: ServiceTexts
) -> PublishedService | None:
    """The event's service version (None when unknown), looked up once per batch."""
    key = (event.service_code, event.service_version)
    if key not in services:
        try:
            services[key] = await get_published_service(session, *key)
        except NotFound:
            services[key] = None
    return services[key]


def event_texts(event: PublishedEvent, published: PublishedService | None) -> EventTexts:
    """Service title and state/transition labels in de and en (codes when unknown)."""

    def both(text: str | None) -> Bilingual:
        return {"de": text or "", "en": text or ""}

    if published is None:
        return EventTexts(
            service_title=both(event.service_code),
            state_label=both(event.to_state),
            from_state_label=both(event.from_state),
            transition_label=both(event.transition),
        )
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
        "request_url": f"{settings.public_url.rstrip('/')}/requests/{event.request_id}",
        "occurred_at": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "public_url": settings.public_url,
    }


def _inbox_item(recipient: Recipient, event: PublishedEvent, texts: EventTexts) -> NewInboxItem:
    return NewInboxItem(
        id=uuid.uuid4(),
        user_id=recipient.id,
        event_id=event.event_id,
        type=event.type,
        request_id=event.request_id,
        reference=event.reference,
        service_code=event.service_code,
        created_at=event.occurred_at,
        payload={
            "service_version": event.service_version,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "transition": event.transition,
            "service_title": texts.service_title,
            "state_label": texts.state_label,
            "from_state_label": texts.from_state_label,
            "transition_label": texts.transition_label,
        },
    )
