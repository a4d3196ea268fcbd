"""Receiving an upload: checks, streaming, type detection, storage and the history event.

An upload is checked before its body is read (may the caller add a file to this request
now?), streamed to a staging file, checked again (kind, size, type by magic bytes), moved
into storage under a random key and recorded (row + history event) in the caller's
transaction. If anything fails after the file was stored, the file is removed again; if
the transaction rolls back later, ``consistency`` removes it.

The two halves (``receive_attachment``, ``store_attachment``) are separate so that the route
can put ``Idempotency-Key`` handling between them: the fingerprint needs the received file.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments import policy, repository
from eservice.attachments.consistency import remove_on_rollback, remove_quietly
from eservice.attachments.filenames import sanitise_filename
from eservice.attachments.multipart import (
    MULTIPART_OVERHEAD,
    ReceivedFile,
    UploadLimits,
    receive_upload,
)
from eservice.attachments.schemas import AttachmentOut, UploadForm
from eservice.attachments.service import present, service_of
from eservice.attachments.sniffing import extension_for, sniff_type
from eservice.attachments.storage import (
    Storage,
    StorageError,
    new_key,
    staging_dir,
    storage_unavailable,
)
from eservice.catalog.service import PublishedService
from eservice.core.config import Settings
from eservice.core.errors import FieldError, ValidationFailed
from eservice.core.idempotency import fingerprint
from eservice.core.pointers import msgspec_error
from eservice.core.transaction import release_connection as release_connection_of
from eservice.identity.principal import Principal
from eservice.requests.service import get_request_for, record_attachment_event
from eservice.requests.tables import RequestRow


class IncomingUpload(msgspec.Struct, frozen=True, kw_only=True):
    """The raw upload as the route hands it over: body chunks and two headers."""

    chunks: AsyncIterator[bytes]
    content_type: str | None
    content_length: int | None


class PendingUpload(msgspec.Struct, kw_only=True):
    """A received and checked file, staged, not yet stored or recorded."""

    request_id: uuid.UUID
    service: PublishedService
    principal: Principal
    form: UploadForm
    file: ReceivedFile
    content_type: str
    filename: str

    @property
    def fingerprint(self) -> str:
        """What identifies this upload for ``Idempotency-Key``: the form and the bytes."""
        described = {
            "kind": self.form.kind,
            "visibility": self.form.visibility,
            "filename": self.filename,
            "size": self.file.size,
            "sha256": self.file.sha256,
        }
        return fingerprint("POST", f"/api/v1/requests/{self.request_id}/attachments", described)

    async def discard(self) -> None:
        """Remove the staged file (a no-op once storage has taken it)."""
        await asyncio.to_thread(self.file.path.unlink, missing_ok=True)


def upload_limits(settings: Settings, service: PublishedService) -> UploadLimits:
    """The global limits of settings combined with the service's per-kind sizes."""
    return UploadLimits(
        max_body_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD,
        max_parts=settings.max_multipart_parts,
        max_file_bytes=settings.max_upload_bytes,
        kind_max_bytes={d.kind: d.max_bytes for d in service.definition.documents},
    )


def _form(fields: dict[str, str]) -> UploadForm:
    if not fields.get("kind"):
        raise ValidationFailed(
            "Name the document kind in the form field 'kind'.",
            errors=[FieldError(pointer="/kind", message="required")],
        )
    try:
        return msgspec.convert(fields, UploadForm)
    except msgspec.ValidationError as exc:
        error = msgspec_error(str(exc))
        detail = f"The upload form is not valid: {error.message}"
        raise ValidationFailed(detail, errors=[error]) from None


async def _checked_request(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> tuple[RequestRow, policy.UploaderRole, PublishedService]:
    """The request, if the caller may add a file to it in its current state (else 404/403/409)."""
    request = await get_request_for(session, principal, request_id)
    role = policy.uploader_role(principal, request)
    service = await service_of(session, request)
    policy.check_upload_state(role, service.workflow, request.state)
    return request, role, service


async def receive_attachment(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    request_id: uuid.UUID,
    upload: IncomingUpload,
    release_connection: bool = False,
) -> PendingUpload:
    """Check the caller and state, read the body, check kind, size and type (staged file).

    With ``release_connection`` (the request-scoped session of the route), the read-only
    transaction of the checks is rolled back before the body is read, so that a slow upload
    does not hold a database connection; ``store_attachment`` checks again.
    """
    _, role, service = await _checked_request(session, principal, request_id)
    if release_connection:
        await release_connection_of(session)
    received = await receive_upload(
        upload.chunks,
        content_type=upload.content_type,
        content_length=upload.content_length,
        limits=upload_limits(settings, service),
        staging=staging_dir(settings),
    )
    staged = received.file
    try:
        form = _form(received.fields)
        if staged is None:
            raise ValidationFailed(
                "Attach the file in the form field 'file'.",
                errors=[FieldError(pointer="/file", message="required")],
            )
        policy.check_visibility(form.visibility, role)
        document = policy.document_for(service.definition, form.kind)
        policy.check_size(staged.size, min(document.max_bytes, settings.max_upload_bytes))
        content_type = policy.decide_content_type(
            sniff_type(staged.head, document.types),
            staged.declared_type,
            staged.filename,
            document.types,
        )
    except BaseException:
        if staged is not None:
            await asyncio.to_thread(staged.path.unlink, missing_ok=True)
        raise
    return PendingUpload(
        request_id=request_id,
        service=service,
        principal=principal,
        form=form,
        file=staged,
        content_type=content_type,
        filename=sanitise_filename(staged.filename, extension_for(content_type)),
    )


async def store_attachment(
    session: AsyncSession, storage: Storage, pending: PendingUpload
) -> AttachmentOut:
    """Move the staged file into storage and record it (row + history event)."""
    request, _, _ = await _checked_request(session, pending.principal, pending.request_id)
    key = new_key()
    staged = pending.file
    try:
        await storage.save(key, staged.path, size=staged.size, sha256=staged.sha256)
    except StorageError as exc:
        await remove_quietly(storage, key)
        raise storage_unavailable(exc) from exc
    remove_on_rollback(session, storage, key)
    try:
        attachment_id = uuid.uuid4()
        row = await repository.insert_attachment(
            session,
            attachment_id=attachment_id,
            request_id=request.id,
            kind=pending.form.kind,
            filename=pending.filename,
            content_type=pending.content_type,
            size=staged.size,
            sha256=staged.sha256,
            storage_key=key,
            visibility=pending.form.visibility,
            uploaded_by=pending.principal.id,
            uploader_kind=pending.principal.kind,
        )
        await record_attachment_event(
            session,
            request,
            pending.principal,
            attachment_id,
            pending.form.kind,
            pending.form.visibility == "internal",
        )
    except BaseException:
        await remove_quietly(storage, key)
        raise
    return present(row, pending.service, pending.principal.locale)


async def upload_attachment(
    session: AsyncSession,
    *,
    settings: Settings,
    storage: Storage,
    principal: Principal,
    request_id: uuid.UUID,
    upload: IncomingUpload,
) -> AttachmentOut:
    """Receive, check, store and record one file (without ``Idempotency-Key``)."""
    pending = await receive_attachment(
        session, settings=settings, principal=principal, request_id=request_id, upload=upload
    )
    try:
        return await store_attachment(session, storage, pending)
    finally:
        await pending.discard()
