"""All SQL of the attachments context."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments.tables import AttachmentRow

PURGED_FILENAME = "removed"


async def document_kinds_present(session: AsyncSession, request_id: UUID) -> set[str]:
    """The document kinds of the request's attachments that are not deleted."""
    result = await session.scalars(
        select(AttachmentRow.kind)
        .where(AttachmentRow.request_id == request_id, AttachmentRow.deleted_at.is_(None))
        .distinct()
    )
    return set(result)


async def insert_attachment(
    session: AsyncSession,
    *,
    attachment_id: UUID,
    request_id: UUID,
    kind: str,
    filename: str,
    content_type: str,
    size: int,
    sha256: str,
    storage_key: str,
    visibility: str,
    uploaded_by: UUID | None,
    uploader_kind: str,
) -> AttachmentRow:
    """Insert one attachment row and return it (with its server-set timestamp)."""
    row: AttachmentRow | None = await session.scalar(
        insert(AttachmentRow)
        .values(
            id=attachment_id,
            request_id=request_id,
            kind=kind,
            filename=filename,
            content_type=content_type,
            size=size,
            sha256=sha256,
            storage_key=storage_key,
            visibility=visibility,
            uploaded_by=uploaded_by,
            uploader_kind=uploader_kind,
        )
        .returning(AttachmentRow)
    )
    assert row is not None
    return row


async def get_attachment(
    session: AsyncSession, request_id: UUID, attachment_id: UUID, *, include_internal: bool
) -> AttachmentRow | None:
    """A live attachment of the request, or None (also for internal ones when not included)."""
    query = select(AttachmentRow).where(
        AttachmentRow.id == attachment_id,
        AttachmentRow.request_id == request_id,
        AttachmentRow.deleted_at.is_(None),
    )
    if not include_internal:
        query = query.where(AttachmentRow.visibility == "public")
    row: AttachmentRow | None = await session.scalar(query)
    return row


async def list_attachments(
    session: AsyncSession,
    request_id: UUID,
    *,
    include_internal: bool,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[AttachmentRow]:
    """Live attachments of a request, oldest first, one keyset page (``limit`` rows)."""
    query = select(AttachmentRow).where(
        AttachmentRow.request_id == request_id, AttachmentRow.deleted_at.is_(None)
    )
    if not include_internal:
        query = query.where(AttachmentRow.visibility == "public")
    if after is not None:
        query = query.where(tuple_(AttachmentRow.created_at, AttachmentRow.id) > tuple_(*after))
    query = query.order_by(AttachmentRow.created_at, AttachmentRow.id).limit(limit)
    return list(await session.scalars(query))


async def stored_attachments(
    session: AsyncSession, request_ids: Sequence[UUID], *, include_internal: bool
) -> list[AttachmentRow]:
    """Every live attachment of these requests, by request and age (exports)."""
    if not request_ids:
        return []
    query = select(AttachmentRow).where(
        AttachmentRow.request_id.in_(list(request_ids)), AttachmentRow.storage_key.is_not(None)
    )
    if not include_internal:
        query = query.where(AttachmentRow.visibility == "public")
    order = (AttachmentRow.request_id, AttachmentRow.created_at, AttachmentRow.id)
    return list(await session.scalars(query.order_by(*order)))


async def mark_deleted(session: AsyncSession, attachment_id: UUID) -> str | None:
    """Mark one attachment deleted; return the storage key whose file is now unreferenced."""
    key: str | None = await session.scalar(
        select(AttachmentRow.storage_key)
        .where(AttachmentRow.id == attachment_id, AttachmentRow.deleted_at.is_(None))
        .with_for_update()
    )
    await session.execute(
        update(AttachmentRow)
        .where(AttachmentRow.id == attachment_id, AttachmentRow.deleted_at.is_(None))
        .values(deleted_at=func.now(), storage_key=None)
    )
    return key


async def purge_request_attachments(session: AsyncSession, request_id: UUID) -> list[str]:
    """Drop every file reference and file name of a request; return the freed storage keys."""
    keys = await session.scalars(
        select(AttachmentRow.storage_key)
        .where(AttachmentRow.request_id == request_id, AttachmentRow.storage_key.is_not(None))
        .with_for_update()
    )
    freed = [key for key in keys if key is not None]
    await session.execute(
        update(AttachmentRow)
        .where(
            AttachmentRow.request_id == request_id,
            or_(
                AttachmentRow.storage_key.is_not(None),
                AttachmentRow.filename != PURGED_FILENAME,
            ),
        )
        .values(
            deleted_at=func.coalesce(AttachmentRow.deleted_at, func.now()),
            storage_key=None,
            filename=PURGED_FILENAME,
        )
    )
    return freed


async def referenced_keys(session: AsyncSession, keys: Collection[str]) -> set[str]:
    """Those of ``keys`` that a row still references."""
    if not keys:
        return set()
    result = await session.scalars(
        select(AttachmentRow.storage_key).where(
            and_(AttachmentRow.storage_key.is_not(None), AttachmentRow.storage_key.in_(keys))
        )
    )
    return {key for key in result if key is not None}


_PUBLIC_IMAGE = and_(
    AttachmentRow.visibility == "public",
    AttachmentRow.deleted_at.is_(None),
    AttachmentRow.storage_key.is_not(None),
    AttachmentRow.content_type.like("image/%"),
)


async def first_public_images(
    session: AsyncSession, request_ids: Collection[UUID]
) -> dict[UUID, UUID]:
    """The first public photo of each request (request id → attachment id), in one query."""
    if not request_ids:
        return {}
    query = (
        select(AttachmentRow.request_id, AttachmentRow.id)
        .where(AttachmentRow.request_id.in_(list(request_ids)), _PUBLIC_IMAGE)
        .order_by(AttachmentRow.request_id, AttachmentRow.created_at, AttachmentRow.id)
        .ext(distinct_on(AttachmentRow.request_id))
    )
    return {row.request_id: row.id for row in await session.execute(query)}


async def get_public_image(session: AsyncSession, attachment_id: UUID) -> AttachmentRow | None:
    row: AttachmentRow | None = await session.scalar(
        select(AttachmentRow).where(AttachmentRow.id == attachment_id, _PUBLIC_IMAGE)
    )
    return row
