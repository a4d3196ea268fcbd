"""Keep stored files and attachment rows consistent with the transaction's outcome.

A file is stored before its row is inserted. If the transaction then rolls back (a later
failure, a failed commit), the file is removed; a file whose row is deleted is removed only
once that deletion has committed. Removal runs right after the outcome is known, on the
event loop; anything it misses (a crash in between) is found by ``cleanup_leftovers``.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from eservice.attachments.storage import Storage

log = logging.getLogger(__name__)

_INFO_KEY = "eservice.attachments.pending_files"
_removals: set[asyncio.Task[None]] = set()


class _Pending(msgspec.Struct):
    on_rollback: list[tuple[Storage, str]] = msgspec.field(default_factory=list)
    after_commit: list[tuple[Storage, str]] = msgspec.field(default_factory=list)


def remove_on_rollback(session: AsyncSession, storage: Storage, key: str) -> None:
    """Remove the stored object ``key`` if this session's transaction rolls back."""
    _pending(session).on_rollback.append((storage, key))


def remove_after_commit(session: AsyncSession, storage: Storage, key: str) -> None:
    """Remove the stored object ``key`` once this session's transaction has committed."""
    _pending(session).after_commit.append((storage, key))


async def wait_for_file_removals() -> None:
    """Wait until every scheduled removal has finished (tests, shutdown, cleanup).

    Removals scheduled on another event loop (another thread) are polled, not awaited.
    """
    loop = asyncio.get_running_loop()
    while pending := list(_removals):
        here = [task for task in pending if task.get_loop() is loop]
        if here:
            await asyncio.gather(*here, return_exceptions=True)
        else:
            await asyncio.sleep(0.01)


def _pending(session: AsyncSession) -> _Pending:
    pending = session.info.get(_INFO_KEY)
    if not isinstance(pending, _Pending):
        pending = _Pending()
        session.info[_INFO_KEY] = pending
        event.listen(session.sync_session, "after_commit", _after_commit)
        event.listen(session.sync_session, "after_rollback", _after_rollback)
    return pending


def _after_commit(session: Session) -> None:
    pending = session.info.get(_INFO_KEY)
    if isinstance(pending, _Pending):
        doomed, pending.after_commit, pending.on_rollback = pending.after_commit, [], []
        _schedule(doomed)


def _after_rollback(session: Session) -> None:
    pending = session.info.get(_INFO_KEY)
    if isinstance(pending, _Pending):
        doomed, pending.after_commit, pending.on_rollback = pending.on_rollback, [], []
        _schedule(doomed)


def _schedule(doomed: list[tuple[Storage, str]]) -> None:
    if not doomed:
        return
    loop = asyncio.get_running_loop()
    for storage, key in doomed:
        task = loop.create_task(remove_quietly(storage, key))
        _removals.add(task)
        task.add_done_callback(_removals.discard)


async def remove_quietly(storage: Storage, key: str) -> None:
    """Remove one object; a failure is logged and left to the leftover cleanup."""
    try:
        await storage.delete(key)
    except Exception:
        log.warning("could not remove a stored file; the cleanup will retry", exc_info=True)
