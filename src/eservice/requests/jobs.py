"""Worker jobs of the request lifecycle: workflow timers and overdue deadlines.

``eservice worker`` calls both on every tick. Each is safe to run in several workers at once:
rows are claimed with ``FOR UPDATE SKIP LOCKED`` and every change is a compare-and-set, so a
timer fires once and an overdue request is flagged once, whatever the number of workers.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.attachments.repository import document_kinds_present
from eservice.catalog.service import get_published_service
from eservice.core.config import Settings, load_settings
from eservice.core.outage import unavailable_cause
from eservice.core.transaction import transaction
from eservice.requests import history, repository
from eservice.requests.access import SYSTEM
from eservice.requests.tables import RequestTimerRow
from eservice.requests.transitions import apply_decision
from eservice.workflow.engine import Caller, Inputs, TransitionRefused, decide

log = logging.getLogger(__name__)

SYSTEM_CALLER = Caller(actors=frozenset({"system"}))
RETRY_SECONDS = 300


class _LostRace(Exception):
    """The request changed between reading it and the compare-and-set: try again."""


@lru_cache(maxsize=1)
def _default_settings() -> Settings:
    return load_settings()


async def _fire(session: AsyncSession, settings: Settings, timer: RequestTimerRow) -> bool:
    """Fire one claimed timer as a ``system`` transition; False when it no longer applies."""
    row = await repository.get_request(session, timer.request_id)
    if row is None or row.state != timer.state:
        await repository.delete_timer(session, timer.id)
        return False
    service = await get_published_service(session, row.service_code, row.service_version)
    documents = await document_kinds_present(session, row.id)
    try:
        decision = decide(
            service.workflow,
            row.state,
            timer.transition,
            SYSTEM_CALLER,
            Inputs(documents=frozenset(documents)),
        )
    except TransitionRefused as refused:
        log.warning(
            "timer refused by the workflow",
            extra={
                "request_id": str(row.id),
                "transition": timer.transition,
                "reason": refused.reason,
            },
        )
        await repository.delete_timer(session, timer.id)
        return False
    updated = await apply_decision(
        session, settings, row, decision, SYSTEM, extra_event_data={"timer": True}
    )
    if updated is None:
        raise _LostRace
    await repository.delete_timer(session, timer.id)
    return True


async def fire_due_timers(
    sessionmaker: async_sessionmaker[AsyncSession],
    limit: int = 100,
    *,
    settings: Settings | None = None,
) -> int:
    """Fire up to ``limit`` due timers, each in its own transaction; returns how many fired."""
    settings = settings or _default_settings()
    fired = 0
    for _ in range(limit):
        timer_id: int | None = None
        try:
            async with transaction(sessionmaker) as session:
                timer = await repository.claim_due_timer(session)
                if timer is None:
                    break
                timer_id = timer.id
                if await _fire(session, settings, timer):
                    fired += 1
        except _LostRace:
            continue
        except Exception as exc:
            if unavailable_cause(exc) is not None:
                raise  # no timer fires without the database; the worker reports the outage
            # A timer that cannot fire must not block the others: retry it later.
            log.exception("timer failed", extra={"timer_id": timer_id})
            if timer_id is not None:
                async with transaction(sessionmaker) as session:
                    await repository.postpone_timer(session, timer_id, RETRY_SECONDS)
    return fired


async def flag_overdue(
    sessionmaker: async_sessionmaker[AsyncSession],
    limit: int = 100,
) -> int:
    """Flag requests whose deadline passed and emit ``request.overdue`` once per request."""
    async with transaction(sessionmaker) as session:
        rows = await repository.claim_overdue(session, limit)
        now = datetime.now(UTC)
        for row in rows:
            await history.record(
                session,
                row,
                type="overdue",
                actor=SYSTEM,
                occurred_at=now,
                visibility="internal",
                data={"due_at": row.due_at.isoformat() if row.due_at else None},
                notify=history.staff_on_it(row),
            )
    return len(rows)
