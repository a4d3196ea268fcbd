"""Throttling of failed logins and client authentications, shared by all processes (PostgreSQL).

Counters are kept per login name or client id (hashed, so that no name is stored); an unknown
name counts exactly like a known one, so the answers never tell whether an account exists.
There is deliberately no per-address block: behind a reverse proxy or a city's NAT every caller
shares one address, and an attacker could lock everyone out (rate limits per address belong in
the proxy). After a few failures each further failure is answered more slowly; at
``ESERVICE_LOGIN_MAX_FAILURES`` the key is blocked for ``ESERVICE_LOGIN_WINDOW_SECONDS``.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.identity import repository

SLOWDOWN_AFTER = 2
SLOWDOWN_STEP_SECONDS = 0.2
SLOWDOWN_MAX_SECONDS = 2.0


class Throttled(Exception):
    """Too many failures: wait ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed attempts")
        self.retry_after = retry_after


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:40]


def subject_key(kind: str, name: str) -> str:
    """The counter of one login name or client id (``kind`` is ``login`` or ``client``)."""
    return f"{kind}:{_digest(name)}"


async def check_not_blocked(session: AsyncSession, subject: str) -> None:
    """Raise Throttled while ``subject`` is blocked."""
    now = datetime.now(UTC)
    until = await repository.throttle_blocked_until(session, [subject], now)
    if until is not None:
        raise Throttled(max(1, math.ceil((until - now).total_seconds())))


async def record_failure(session: AsyncSession, settings: Settings, subject: str) -> None:
    """Count a failure for the subject; slow the answer down as failures grow."""
    now = datetime.now(UTC)
    window = timedelta(seconds=settings.login_window_seconds)
    limit = settings.login_max_failures
    failures = await repository.record_throttle_failure(
        session, subject, now=now, window=window, max_failures=limit
    )
    if failures > SLOWDOWN_AFTER:
        delay = min(SLOWDOWN_MAX_SECONDS, SLOWDOWN_STEP_SECONDS * (failures - SLOWDOWN_AFTER))
        await asyncio.sleep(delay)


async def record_success(session: AsyncSession, subject: str) -> None:
    """A successful authentication forgets the subject's failures."""
    await repository.clear_throttle(session, [subject])


async def count_attempt(
    session: AsyncSession, subject: str, *, limit: int, window_seconds: int
) -> None:
    """Count one attempt of ``subject`` (e.g. an anonymous filing from one address).

    Raises Throttled while the subject has used up ``limit`` attempts of its window. The counter
    is the same PostgreSQL row every process updates, so the limit holds across processes and
    instances; an attempt that rolls back is not counted.
    """
    await check_not_blocked(session, subject)
    await repository.record_throttle_failure(
        session,
        subject,
        now=datetime.now(UTC),
        window=timedelta(seconds=window_seconds),
        max_failures=limit,
    )
