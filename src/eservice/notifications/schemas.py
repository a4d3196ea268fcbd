"""Structs at the edge of the notifications API: inbox, subscriptions, delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from eservice.events.schemas import EventType

ServiceCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]
# The URL is checked by hand (notifications/ssrf.py) because it is resolved, too; the
# document states its shape and says what else answers 422.
WebhookUrl = Annotated[
    str,
    msgspec.Meta(
        min_length=8,
        max_length=2048,
        extra_json_schema={
            "pattern": r"^https?://[A-Za-z0-9.-]+(?::[1-9][0-9]{0,3})?(?:/[A-Za-z0-9._~/-]*)?$",
            "description": (
                "An http(s) URL without credentials whose host resolves, and only to public "
                "addresses (else 422 at /url)."
            ),
        },
    ),
]


class SubscriptionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new webhook subscription: where to, which event types, optionally which services."""

    url: WebhookUrl
    events: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=16)]
    services: Annotated[list[ServiceCode], msgspec.Meta(min_length=1, max_length=100)] | None = None


class SubscriptionOut(msgspec.Struct, kw_only=True):
    """A subscription as its owner sees it; ``secret`` only in the answer that created it."""

    id: UUID
    url: str
    events: list[str]
    services: list[str] | None
    active: bool
    disabled_reason: str | None
    created_at: datetime
    secret: str | msgspec.UnsetType = msgspec.UNSET


class AttemptOut(msgspec.Struct, kw_only=True):
    attempt: int
    outcome: Literal["succeeded", "failed", "gone"]
    status_code: int | None
    error: str | None
    duration_ms: int
    started_at: datetime
    finished_at: datetime


class DeliveryOut(msgspec.Struct, kw_only=True):
    """One webhook message (``webhook_id`` is its ``webhook-id`` header) and its attempts."""

    id: int
    webhook_id: str
    event_id: int | None
    event_type: str | None
    state: Literal["pending", "succeeded", "dead", "cancelled"]
    attempt_count: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[AttemptOut]


class NotificationOut(msgspec.Struct, kw_only=True):
    """An in-app notification, in the caller's language."""

    id: UUID
    type: str
    title: str
    body: str
    request_id: UUID
    reference: str
    service: str
    state: str | None
    state_label: str | None
    created_at: datetime
    read_at: datetime | None
    read: bool
