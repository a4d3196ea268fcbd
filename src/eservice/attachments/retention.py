"""What the attachments context forgets and exports: a request's files and their names."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import msgspec
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


class ExportedFile(msgspec.Struct, frozen=True, kw_only=True):
    """One file of an export: its metadata, and where the bytes are stored."""

    id: uuid.UUID
    request_id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    storage_key: str


async def export_files(
    session: AsyncSession, request_ids: Sequence[uuid.UUID], *, include_internal: bool
) -> list[ExportedFile]:
    """The stored files of these requests (public ones only, unless ``include_internal``)."""
    rows = await repository.stored_attachments(
        session, request_ids, include_internal=include_internal
    )
    return [
        ExportedFile(
            id=row.id,
            request_id=row.request_id,
            kind=row.kind,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            created_at=row.created_at,
            storage_key=row.storage_key,
        )
        for row in rows
        if row.storage_key is not None
    ]
