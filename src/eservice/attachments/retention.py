"""What the attachments context forgets and exports: a request's files and their names."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments import repository
from eservice.attachments.consistency import remove_after_commit
from eservice.attachments.storage import Storage

# The tables whose rows about a request or a person this context removes (see
# eservice.privacy.registry and its schema test). Attachment rows of a deleted request go
# with the request (ON DELETE CASCADE); their files go here.
FORGETS = frozenset({"attachments"})


async def delete_request_files(
    session: AsyncSession, request_id: uuid.UUID, storage: Storage
) -> int:
    """Forget every file of a request (and its names); return how many files.

    The rows stay as a record (kind, size, sha256, time) with their file reference and file
    name removed; the files are removed once the caller's transaction commits, and a crash in
    between leaves files that the next ``cleanup_leftovers`` removes (no row references them).
    """
    keys = await repository.purge_request_attachments(session, request_id)
    for key in keys:
        remove_after_commit(session, storage, key)
    return len(keys)
