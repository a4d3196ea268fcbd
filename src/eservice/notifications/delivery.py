"""Attempting deliveries: claim with a lease, send outside any transaction, record the outcomes.

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
from eservice.core.outage import note_unavailable
from eservice.core.transaction import transaction
from eservice.notifications import delivery_repository, repository
from eservice.notifications.crypto import unseal
from eservice.notifications.delivery_repository import AttemptOutcome, ClaimedDelivery
from eservice.notifications.emails import RenderedEmail
from eservice.notifications.mailer import SendFailed, build_message, send_message
from eservice.notifications.metrics import (
    DELIVERIES_FINISHED,
    DELIVERY_ATTEMPTS,
    DELIVERY_FAILURES,
)
from eservice.notifications.tables import SubscriptionRow
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


class Attempted(msgspec.Struct, frozen=True):
    """One attempt made: its outcome to record and the plan for the delivery."""

    delivery: ClaimedDelivery
    result: AttemptResult
    plan: Plan
    outcome: AttemptOutcome


CANCELLED_REASON = "the subscription is disabled or removed"
GONE_REASON = "the receiver answered 410 Gone"


async def run_due_deliveries(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, limit: int
) -> int:
    """Claim due deliveries, attempt them concurrently, record the outcomes; returns the count.

    The outcomes of the whole batch are recorded together, in one transaction, once every
    attempt has ended (each is bounded by its timeouts).
    """
    token = uuid.uuid4()
    lease = timedelta(seconds=settings.worker_lease_seconds)
    async with transaction(sessionmaker) as session:
        claimed = await delivery_repository.claim_due_deliveries(
            session, limit=limit, lease=lease, token=token
        )
        sub_ids = [d.subscription_id for d in claimed if d.subscription_id is not None]
        subscriptions = await delivery_repository.subscriptions_by_ids(session, sub_ids)
    if not claimed:
        return 0
    cancelled: list[ClaimedDelivery] = []
    sending: list[ClaimedDelivery] = []
    for delivery in claimed:
        (cancelled if _orphaned(delivery, subscriptions) else sending).append(delivery)
    results = await asyncio.gather(
        *(_attempt(settings, d, subscriptions) for d in sending), return_exceptions=True
    )
    attempted: list[Attempted] = []
    for delivery, result in zip(sending, results, strict=True):
        if isinstance(result, BaseException):
            # Not recorded: the lease makes it come back.
            log.error(
                "delivery outcome not recorded", exc_info=result, extra={"delivery_id": delivery.id}
            )
        else:
            attempted.append(result)
    try:
        kept = await _record(sessionmaker, token, attempted, cancelled)
    except Exception as exc:  # e.g. the database went away: the leases make them come back
        if not note_unavailable(exc):  # an outage is logged once, by core.outage
            log.error(
                "delivery outcomes not recorded",
                exc_info=exc,
                extra={"delivery_ids": [d.id for d in claimed]},
            )
        return len(claimed)
    _report(attempted, cancelled, kept)
    return len(claimed)


def _orphaned(delivery: ClaimedDelivery, subscriptions: dict[uuid.UUID, SubscriptionRow]) -> bool:
    """A webhook delivery whose subscription is disabled or removed: cancelled, not sent."""
    if delivery.channel != "webhook":
        return False
    subscription = _subscription_of(delivery, subscriptions)
    return subscription is None or not subscription.active


def _subscription_of(
    delivery: ClaimedDelivery, subscriptions: dict[uuid.UUID, SubscriptionRow]
) -> SubscriptionRow | None:
    return subscriptions.get(delivery.subscription_id) if delivery.subscription_id else None


async def _attempt(
    settings: Settings, delivery: ClaimedDelivery, subscriptions: dict[uuid.UUID, SubscriptionRow]
) -> Attempted:
    """Send once (no transaction open); a crash counts as a failed attempt."""
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    subscription = _subscription_of(delivery, subscriptions)
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
    outcome = AttemptOutcome(
        delivery_id=delivery.id,
        attempt=delivery.attempts,
        outcome=result.outcome,
        status_code=result.status_code,
        error=storable(result.error),
        started_at=started_at,
        duration_ms=duration_ms,
        state=plan.state,
        retry_in=plan.retry_in,
    )
    return Attempted(delivery=delivery, result=result, plan=plan, outcome=outcome)


def storable(text: str | None) -> str | None:
    """``text`` as PostgreSQL stores it: one receiver's odd answer (a NUL byte, a lone
    surrogate) must not fail the statement that records the whole batch."""
    if text is None:
        return None
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    token: uuid.UUID,
    attempted: list[Attempted],
    cancelled: list[ClaimedDelivery],
) -> set[int]:
    """Record a batch in one transaction; returns the deliveries whose lease was still held.

    A 410 Gone disables the subscription (and cancels what still waits for it).
    """
    async with transaction(sessionmaker) as session:
        await delivery_repository.cancel_deliveries(
            session, [d.id for d in cancelled], CANCELLED_REASON
        )
        kept = await delivery_repository.finish_attempts(
            session, token, [a.outcome for a in attempted]
        )
        gone = {
            a.delivery.subscription_id
            for a in attempted
            if a.result.outcome == "gone" and a.delivery.id in kept
        }
        for subscription_id in sorted(s for s in gone if s is not None):
            await repository.disable_subscription(session, subscription_id, GONE_REASON)
    return kept


def _report(attempted: list[Attempted], cancelled: list[ClaimedDelivery], kept: set[int]) -> None:
    """Metrics and a log line per recorded delivery."""
    for delivery in cancelled:
        DELIVERIES_FINISHED.labels(channel=delivery.channel, state="cancelled").inc()
    for item in attempted:
        delivery, plan = item.delivery, item.plan
        if delivery.id not in kept:
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
                "outcome": item.result.outcome,
                "status_code": item.result.status_code,
                "next_state": plan.state,
            },
        )


async def _send_webhook(
    settings: Settings, delivery: ClaimedDelivery, subscription: SubscriptionRow
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


async def _send_email(settings: Settings, delivery: ClaimedDelivery) -> AttemptResult:
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
