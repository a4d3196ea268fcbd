"""Attempting deliveries: claim with a lease, send outside any transaction, record the outcome.

Retry policy: after failed attempt ``n`` the next one waits ``retry_schedule[n-1]`` seconds
(±20 % jitter, at least what a receiver's ``Retry-After`` asks); after the last delay is used
up the delivery is parked as ``dead`` and can be resent through the API.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import msgspec
from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.core.db import transaction
from eservice.notifications import delivery_repository, repository
from eservice.notifications.crypto import unseal
from eservice.notifications.emails import RenderedEmail
from eservice.notifications.mailer import SendFailed, build_message, send_message
from eservice.notifications.metrics import (
    DELIVERIES_FINISHED,
    DELIVERY_ATTEMPTS,
    DELIVERY_FAILURES,
)
from eservice.notifications.tables import DeliveryRow, SubscriptionRow
from eservice.notifications.webhooks import AttemptResult, send_webhook

log = logging.getLogger(__name__)

Outcome = Literal["succeeded", "failed", "gone"]


class Plan(msgspec.Struct, frozen=True):
    """What happens to a delivery after an attempt."""

    state: Literal["pending", "succeeded", "dead", "cancelled"]
    retry_in: timedelta | None = None


def max_attempts(settings: Settings) -> int:
    return len(settings.retry_delays) + 1


def backoff(settings: Settings, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based), with ±20 % jitter."""
    delays = settings.retry_delays
    base = delays[min(attempt, len(delays)) - 1]
    return base * (rng or random).uniform(0.8, 1.2)


def plan_after(
    settings: Settings, attempt: int, outcome: Outcome, retry_after: float | None = None
) -> Plan:
    """Next state of a delivery whose attempt number ``attempt`` ended with ``outcome``."""
    if outcome == "succeeded":
        return Plan(state="succeeded")
    if outcome == "gone":
        return Plan(state="cancelled")
    if attempt >= max_attempts(settings):
        return Plan(state="dead")
    wait = max(backoff(settings, attempt), retry_after or 0.0)
    return Plan(state="pending", retry_in=timedelta(seconds=wait))


async def run_due_deliveries(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, limit: int
) -> int:
    """Claim due deliveries, attempt them concurrently, record each outcome; returns the count."""
    token = uuid.uuid4()
    lease = timedelta(seconds=settings.worker_lease_seconds)
    async with transaction(sessionmaker) as session:
        claimed = await delivery_repository.claim_due_deliveries(
            session, limit=limit, lease=lease, token=token
        )
        sub_ids = [d.subscription_id for d in claimed if d.subscription_id is not None]
        subscriptions = await delivery_repository.subscriptions_by_ids(session, sub_ids)
    outcomes = await asyncio.gather(
        *(_attempt(sessionmaker, settings, d, subscriptions, token) for d in claimed),
        return_exceptions=True,
    )
    for delivery, outcome in zip(claimed, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            # Not recorded (e.g. the database went away): the lease makes it come back.
            log.error(
                "delivery outcome not recorded",
                exc_info=outcome,
                extra={"delivery_id": delivery.id},
            )
    return len(claimed)


async def _attempt(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    delivery: DeliveryRow,
    subscriptions: dict[uuid.UUID, SubscriptionRow],
    token: uuid.UUID,
) -> None:
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    subscription = subscriptions.get(delivery.subscription_id) if delivery.subscription_id else None
    if delivery.channel == "webhook" and (subscription is None or not subscription.active):
        async with transaction(sessionmaker) as session:
            await delivery_repository.cancel_delivery(
                session, delivery.id, "the subscription is disabled or removed"
            )
        DELIVERIES_FINISHED.labels(channel="webhook", state="cancelled").inc()
        return
    try:
        if subscription is not None:
            result = await _send_webhook(settings, delivery, subscription)
        else:
            result = await _send_email(settings, delivery)
    except Exception as exc:  # a bug must not stop the other deliveries or the worker
        log.exception("delivery attempt crashed", extra={"delivery_id": delivery.id})
        result = AttemptResult(outcome="failed", error=f"internal error: {type(exc).__name__}")
    duration_ms = int((time.perf_counter() - clock) * 1000)
    plan = plan_after(settings, delivery.attempts, result.outcome, result.retry_after)
    DELIVERY_ATTEMPTS.labels(channel=delivery.channel, outcome=result.outcome).inc()
    if result.outcome != "succeeded":
        DELIVERY_FAILURES.labels(channel=delivery.channel).inc()
    async with transaction(sessionmaker) as session:
        kept = await delivery_repository.finish_attempt(
            session,
            delivery_id=delivery.id,
            token=token,
            attempt=delivery.attempts,
            outcome=result.outcome,
            status_code=result.status_code,
            error=result.error,
            started_at=started_at,
            duration_ms=duration_ms,
            state=plan.state,
            retry_in=plan.retry_in,
        )
        if kept and result.outcome == "gone" and subscription is not None:
            await repository.disable_subscription(
                session, subscription.id, "the receiver answered 410 Gone"
            )
    if not kept:
        log.warning(
            "delivery lease lost before the outcome was recorded",
            extra={"delivery_id": delivery.id},
        )
    elif plan.state != "pending":
        DELIVERIES_FINISHED.labels(channel=delivery.channel, state=plan.state).inc()
    log.info(
        "delivery attempt",
        extra={
            "delivery_id": delivery.id,
            "channel": delivery.channel,
            "attempt": delivery.attempts,
            "outcome": result.outcome,
            "status_code": result.status_code,
            "next_state": plan.state,
        },
    )


async def _send_webhook(
    settings: Settings, delivery: DeliveryRow, subscription: SubscriptionRow
) -> AttemptResult:
    try:
        secret = unseal(
            subscription.secret_sealed, settings.secret_key, associated=subscription.id.bytes
        )
    except InvalidTag:
        return AttemptResult(
            outcome="failed",
            error="the signing secret cannot be decrypted (was ESERVICE_SECRET_KEY changed?)",
        )
    return await send_webhook(
        settings,
        url=subscription.url,
        secret=secret,
        message_id=delivery.message_id,
        body=str(delivery.payload["body"]),
    )


async def _send_email(settings: Settings, delivery: DeliveryRow) -> AttemptResult:
    payload = delivery.payload
    rendered = RenderedEmail(
        subject=str(payload["subject"]), text=str(payload["text"]), html=str(payload["html"])
    )
    message = build_message(
        settings, to=str(payload["to"]), message_id=delivery.message_id, rendered=rendered
    )
    try:
        await send_message(settings, message, delivery.message_id)
    except SendFailed as exc:
        return AttemptResult(outcome="failed", error=str(exc))
    return AttemptResult(outcome="succeeded")
