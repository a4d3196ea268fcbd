"""The retention run: forget what is past its retention date, in batches, files included.

Each batch is its own transaction: it locks up to ``retention_batch_size`` due requests with
``FOR UPDATE SKIP LOCKED`` (several runs at once take different requests), lets every context
forget its rows of each, writes the deletion register, and commits; the files go after the
commit. A crash loses at most the batch in flight, which the next run takes again; files a
crash left behind are removed by the next run's leftover cleanup. Requests under a legal hold
are never taken.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.attachments import retention as attachments_retention
from eservice.attachments.backends import storage_from_settings
from eservice.attachments.consistency import wait_for_file_removals
from eservice.attachments.maintenance import cleanup_leftovers
from eservice.attachments.storage import Storage
from eservice.catalog.service import get_published_service
from eservice.core import idempotency
from eservice.core.audit import record_admin_action
from eservice.core.config import Settings
from eservice.core.transaction import transaction
from eservice.notifications import retention as notifications_retention
from eservice.privacy import repository
from eservice.privacy.audit import write_checkpoint
from eservice.privacy.registry import CONTACT_EXPIRY
from eservice.requests import retention as requests_retention
from eservice.requests import retention_repository
from eservice.requests.retention import Forgetting
from eservice.requests.tables import RequestRow

Progress = Callable[[str], None]
ERASURE_CONFIRMATION = "account_erased"


class DueRequest(msgspec.Struct, frozen=True):
    """A request a run takes (or, under a legal hold, skips), as the dry run lists it."""

    reference: str
    service: str
    action: str
    reason: str
    retention_until: date | None
    legal_hold: bool


class RetentionReport(msgspec.Struct, kw_only=True):
    """What a run did (or, dry, would do)."""

    as_of: date
    dry_run: bool
    batches: int = 0
    deleted: int = 0
    anonymised: int = 0
    files_removed: int = 0
    contacts_removed: int = 0
    due: list[DueRequest] = msgspec.field(default_factory=list)
    held: list[DueRequest] = msgspec.field(default_factory=list)


def reference_hash(reference: str) -> str:
    """What the register keeps of a reference: whoever holds it can look it up."""
    return hashlib.sha256(reference.encode()).hexdigest()


def _cutoff(settings: Settings, as_of: date, days: int) -> datetime:
    """The start of ``as_of`` in the city's time zone, ``days`` earlier."""
    zone = ZoneInfo(settings.time_zone)
    return datetime.combine(as_of - timedelta(days=days), time.min, tzinfo=zone)


async def _action(session: AsyncSession, row: RequestRow) -> tuple[Forgetting, str]:
    """A draft is deleted; a filed request as its service version declares."""
    if row.submitted_at is None:
        return "delete", "draft"
    service = await get_published_service(session, row.service_code, row.service_version)
    return service.definition.retention.action, "retention"


def _day(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return None if moment is None else moment.astimezone(zone).date()


def _register_entry(
    row: RequestRow, batch_id: uuid.UUID, action: Forgetting, reason: str, zone: ZoneInfo
) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "reference_hash": reference_hash(row.reference),
        "service_code": row.service_code,
        "service_version": row.service_version,
        "department": row.department,
        "created_on": _day(row.created_at, zone),
        "submitted_on": _day(row.submitted_at, zone),
        "closed_on": _day(row.closed_at, zone),
        "retention_until": row.retention_until,
        "action": "deleted" if action == "delete" else "anonymised",
        "reason": reason,
    }


async def forget_request(
    session: AsyncSession, storage: Storage, row: RequestRow, action: Forgetting
) -> int:
    """Every context forgets its part of one request; returns how many files go (after the
    commit). Used by the retention run and by erasure."""
    files = await attachments_retention.delete_request_files(session, row.id, storage)
    events = await requests_retention.history_ids(session, row.id)
    await notifications_retention.forget_request(session, row.id, events)
    await idempotency.forget_answers(session, mentioning=str(row.id))
    await requests_retention.forget_request(session, row.id, action)
    return files


async def _run_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    storage: Storage,
    as_of: date,
    report: RetentionReport,
) -> int:
    zone = ZoneInfo(settings.time_zone)
    batch_id = uuid.uuid4()
    async with transaction(sessionmaker) as session:
        rows = await retention_repository.claim_due(
            session,
            as_of=as_of,
            draft_cutoff=_cutoff(settings, as_of, settings.retention_draft_days),
            limit=settings.retention_batch_size,
        )
        entries = []
        for row in rows:
            action, reason = await _action(session, row)
            entries.append(_register_entry(row, batch_id, action, reason, zone))
            report.files_removed += await forget_request(session, storage, row, action)
            if action == "delete":
                report.deleted += 1
            else:
                report.anonymised += 1
        await repository.register_deletions(session, entries)
    return len(rows)


async def _forget_contacts(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, as_of: date
) -> int:
    closed_before = _cutoff(settings, as_of, settings.retention_contact_days)
    removed = 0
    for expire in CONTACT_EXPIRY:
        async with transaction(sessionmaker) as session:
            removed += await expire(session, closed_before)
    return removed


async def list_due(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, as_of: date, *, held: bool
) -> list[DueRequest]:
    """What a run on ``as_of`` would take, or (``held``) skip for a legal hold."""
    found: list[DueRequest] = []
    after: uuid.UUID | None = None
    while True:
        async with transaction(sessionmaker) as session:
            rows = await retention_repository.list_due(
                session,
                as_of=as_of,
                draft_cutoff=_cutoff(settings, as_of, settings.retention_draft_days),
                held=held,
                after=after,
                limit=500,
            )
            for row in rows:
                action, reason = await _action(session, row)
                found.append(
                    DueRequest(
                        reference=row.reference,
                        service=row.service_code,
                        action=action,
                        reason=reason,
                        retention_until=row.retention_until,
                        legal_hold=row.legal_hold_at is not None,
                    )
                )
        if len(rows) < 500:
            return found
        after = rows[-1].id


async def run_retention(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    as_of: date | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RetentionReport:
    """Forget everything due on ``as_of`` (default today in the city's time zone)."""
    day = as_of or datetime.now(UTC).astimezone(ZoneInfo(settings.time_zone)).date()
    report = RetentionReport(as_of=day, dry_run=dry_run)
    say = progress or (lambda _message: None)
    report.held = await list_due(sessionmaker, settings, day, held=True)
    if dry_run:
        report.due = await list_due(sessionmaker, settings, day, held=False)
        return report
    storage = storage_from_settings(settings)
    leftovers = await cleanup_leftovers(sessionmaker, storage, settings)
    report.files_removed += leftovers.removed_files
    while taken := await _run_batch(sessionmaker, settings, storage, day, report):
        report.batches += 1
        say(
            f"batch {report.batches}: {taken} requests; so far {report.deleted} deleted, "
            f"{report.anonymised} anonymised, {report.files_removed} files"
        )
    await wait_for_file_removals()
    report.contacts_removed = await _forget_contacts(sessionmaker, settings, day)
    async with transaction(sessionmaker) as session:
        # The confirmation to an erased account (privacy.erasure) is the last use of its
        # address; once it is out, the address goes from the delivery log too.
        await notifications_retention.forget_sent_emails(session, ERASURE_CONFIRMATION)
        await record_admin_action(
            session,
            actor_kind="system",
            actor_id=None,
            action="retention.run",
            details={
                "as_of": day.isoformat(),
                "batches": report.batches,
                "deleted": report.deleted,
                "anonymised": report.anonymised,
                "held": len(report.held),
            },
        )
    async with transaction(sessionmaker) as session:
        await write_checkpoint(session, settings)
    return report
