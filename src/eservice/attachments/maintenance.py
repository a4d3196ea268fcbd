"""Removing leftovers: stored files no row references, and abandoned staging files.

Normally nothing is left over (see ``consistency``); a crash between storing a file and
committing its row, or a failed removal, leaves a file behind. Files younger than the grace
period are never touched, because their upload may still be committing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.attachments import repository
from eservice.attachments.consistency import wait_for_file_removals
from eservice.attachments.storage import Storage, StoredObject, staging_dir
from eservice.core.config import Settings
from eservice.core.transaction import transaction

log = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(hours=1)
BATCH = 500


class CleanupReport(msgspec.Struct, frozen=True):
    """What a cleanup run removed."""

    removed_files: int
    removed_staged: int


async def cleanup_leftovers(
    sessionmaker: async_sessionmaker[AsyncSession],
    storage: Storage,
    settings: Settings,
    *,
    older_than: timedelta = DEFAULT_GRACE,
) -> CleanupReport:
    """Remove stored files without a row and staging files, both older than ``older_than``."""
    await wait_for_file_removals()
    cutoff = datetime.now(UTC) - older_than
    removed = 0
    batch: list[StoredObject] = []
    async for item in storage.list_objects():
        if item.modified_at < cutoff:
            batch.append(item)
        if len(batch) >= BATCH:
            removed += await _remove_unreferenced(sessionmaker, storage, batch)
            batch = []
    if batch:
        removed += await _remove_unreferenced(sessionmaker, storage, batch)
    staged = await asyncio.to_thread(_remove_old_staging, staging_dir(settings), cutoff)
    if removed or staged:
        log.info("removed leftover files", extra={"files": removed, "staged": staged})
    return CleanupReport(removed_files=removed, removed_staged=staged)


async def _remove_unreferenced(
    sessionmaker: async_sessionmaker[AsyncSession], storage: Storage, batch: list[StoredObject]
) -> int:
    async with transaction(sessionmaker) as session:
        referenced = await repository.referenced_keys(session, [item.key for item in batch])
    removed = 0
    for item in batch:
        if item.key not in referenced:
            await storage.delete(item.key)
            removed += 1
    return removed


def _remove_old_staging(directory: Path, cutoff: datetime) -> int:
    if not directory.is_dir():
        return 0
    removed = 0
    for path in directory.iterdir():
        if not path.is_file():
            continue
        if datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
