"""Listing, downloading and deleting attachments (retention and export: ``retention.py``).

Receives a session, never commits (uploads are in ``uploads.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments import repository
from eservice.attachments.consistency import remove_after_commit
from eservice.attachments.schemas import AttachmentOut
from eservice.attachments.storage import (
    MissingObject,
    Storage,
    StorageError,
    storage_unavailable,
)
from eservice.attachments.tables import AttachmentRow
from eservice.catalog.service import PublishedService, get_published_service
from eservice.core.errors import Conflict, Forbidden, NotFound
from eservice.core.pagination import TimeAndId, created_key, cut_page, decode_cursor
from eservice.identity.principal import Principal
from eservice.requests.access import is_applicant, sees_internal
from eservice.requests.repository import get_request
from eservice.requests.service import get_request_for
from eservice.requests.tables import RequestRow
from eservice.workflow.definitions import INITIAL_STATE


class Download(msgspec.Struct, frozen=True, kw_only=True):
    """An attachment to send: its metadata and its bytes (already opened)."""

    attachment: AttachmentRow
    chunks: AsyncIterator[bytes]


def present(row: AttachmentRow, service: PublishedService, lang: str) -> AttachmentOut:
    document = service.definition.document(row.kind)
    return AttachmentOut(
        id=row.id,
        request_id=row.request_id,
        kind=row.kind,
        kind_label=document.label.pick(lang) if document is not None else row.kind,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        visibility="internal" if row.visibility == "internal" else "public",
        created_at=row.created_at,
        url=f"/api/v1/requests/{row.request_id}/attachments/{row.id}",
    )


async def service_of(session: AsyncSession, request: RequestRow) -> PublishedService:
    return await get_published_service(session, request.service_code, request.service_version)


def _page_after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    key = decode_cursor(cursor, TimeAndId)
    return None if key is None else (key.at, key.id)


async def list_request_attachments(
    session: AsyncSession,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[AttachmentOut], str | None]:
    """One page of a request's attachments, oldest first; internal ones for staff only."""
    request = await get_request_for(session, principal, request_id, access="list_attachments")
    rows = await repository.list_attachments(
        session,
        request.id,
        include_internal=sees_internal(principal),
        after=_page_after(cursor),
        limit=limit + 1,
    )
    service = await service_of(session, request)
    page, next_cursor = cut_page(rows, limit, created_key)
    return [present(row, service, principal.locale) for row in page], next_cursor


async def _visible_attachment(
    session: AsyncSession,
    principal: Principal,
    request_id: uuid.UUID,
    attachment_id: uuid.UUID,
    access: str | None,
) -> tuple[RequestRow, AttachmentRow]:
    request = await get_request_for(session, principal, request_id, access=access)
    row = await repository.get_attachment(
        session, request.id, attachment_id, include_internal=sees_internal(principal)
    )
    if row is None or row.storage_key is None:
        raise NotFound("No attachment with this id.")
    return request, row


async def open_attachment(
    session: AsyncSession,
    storage: Storage,
    principal: Principal,
    request_id: uuid.UUID,
    attachment_id: uuid.UUID,
) -> Download:
    """The attachment and its opened bytes, if the caller may see both (else 404)."""
    _, row = await _visible_attachment(
        session, principal, request_id, attachment_id, "download_attachment"
    )
    try:
        chunks = await storage.open(str(row.storage_key))
    except MissingObject:
        raise NotFound("The file of this attachment is no longer stored.") from None
    except StorageError as exc:
        raise storage_unavailable(exc) from exc
    return Download(attachment=row, chunks=chunks)


async def delete_attachment(
    session: AsyncSession,
    storage: Storage,
    principal: Principal,
    request_id: uuid.UUID,
    attachment_id: uuid.UUID,
) -> None:
    """The applicant removes an attachment from a draft; the file goes once this commits."""
    request, row = await _visible_attachment(session, principal, request_id, attachment_id, None)
    if not is_applicant(principal, request):
        raise Forbidden("Only the applicant may remove attachments, and only from a draft.")
    if request.state != INITIAL_STATE:
        raise Conflict(
            "Attachments can only be removed while the request is a draft.",
            extra={"state": request.state},
        )
    key = await repository.mark_deleted(session, row.id)
    if key is not None:
        remove_after_commit(session, storage, key)


async def open_public_photo(
    session: AsyncSession, storage: Storage, attachment_id: uuid.UUID
) -> Download:
    """A public photo of a filed report of a ``public`` service, for anyone (Open311
    ``media_url``); 404 for any other attachment."""
    row = await repository.get_public_image(session, attachment_id)
    request = None if row is None else await get_request(session, row.request_id)
    if row is None or request is None or request.submitted_at is None:
        raise NotFound("No public photo with this id.")
    published = await get_published_service(session, request.service_code, request.service_version)
    if not published.definition.public:
        raise NotFound("No public photo with this id.")
    try:
        chunks = await storage.open(str(row.storage_key))
    except MissingObject:
        raise NotFound("The file of this photo is no longer stored.") from None
    except StorageError as exc:
        raise storage_unavailable(exc) from exc
    return Download(attachment=row, chunks=chunks)
