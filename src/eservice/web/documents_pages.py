"""Documents in the browser: the upload form with its limits, and downloads.

The upload arrives as an ordinary HTML multipart form (with the CSRF token, which the
middleware checked); it is handed to the attachments context as the same multipart stream the
API receives, holding only ``kind`` and ``file``, so every check (state, kind, size, type by
content) is the API's own.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from eservice.attachments import service as attachments
from eservice.attachments.backends import storage_from_settings
from eservice.attachments.multipart import MULTIPART_OVERHEAD
from eservice.attachments.routes import download_headers
from eservice.attachments.schemas import AttachmentOut
from eservice.attachments.uploads import IncomingUpload, upload_attachment
from eservice.catalog.service import get_published_service
from eservice.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from eservice.identity.principal import Principal
from eservice.requests import service as requests
from eservice.web.context import Web, safe_next
from eservice.web.deps import WebPage
from eservice.web.request_view import document_kinds

# The largest document any service may take (catalog.definitions.DocumentRequirement), plus
# the form around it; each service's own, smaller limits are checked by the attachments context.
WEB_UPLOAD_LIMIT = 100 * 1024 * 1024 + MULTIPART_OVERHEAD
# What an upload may be refused with, shown at the file field worded by ``upload_error``
# (anything else is an error page).
UPLOAD_REFUSALS = (PayloadTooLarge, UnsupportedMediaType, ValidationFailed, Conflict, Forbidden)
CHUNK = 64 * 1024
Back = Annotated[str | None, QueryParameter(name="back", max_length=200, required=False)]


def _quoted(value: str) -> str:
    return value.replace("\\", "_").replace('"', "_").replace("\r", "_").replace("\n", "_")


async def _as_api_upload(
    kind: str, visibility: str, upload: UploadFile, boundary: str
) -> AsyncIterator[bytes]:
    """The browser's file as the API's multipart body: ``kind``, ``visibility`` and ``file``."""
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="visibility"\r\n\r\n'
        f"{visibility}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{_quoted(upload.filename or "upload")}"\r\n'
        f"Content-Type: {_quoted(upload.content_type or 'application/octet-stream')}\r\n\r\n"
    ).encode()
    while chunk := await upload.read(CHUNK):
        yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


async def documents_view(
    web: Web,
    person: Principal,
    request_id: UUID,
    *,
    status: int = 200,
    error: str | None = None,
    back: str | None = None,
) -> Response[Any]:
    row = await requests.get_request_for(web.db, person, request_id)
    service = await get_published_service(web.db, row.service_code, row.service_version)
    present, _ = await attachments.list_request_attachments(
        web.db, person, row.id, cursor=None, limit=100
    )
    return web.render(
        "documents.html",
        status=status,
        row=row,
        kinds=document_kinds(web, service),
        attachments=present,
        error=error,
        back=back or f"/requests/{row.id}/review",
    )


@get("/requests/{request_id:uuid}/documents", name="web-documents")
async def documents_page(
    web: WebPage, request_id: FromPath[UUID], back: Back = None
) -> Response[Any]:
    person = web.require_person()
    return await documents_view(web, person, request_id, back=safe_next(back, "") or None)


@post(
    "/requests/{request_id:uuid}/documents",
    name="web-upload",
    status_code=200,
    request_max_body_size=WEB_UPLOAD_LIMIT,
)
async def upload(web: WebPage, request_id: FromPath[UUID]) -> Any:
    person = web.require_person()
    form = await web.request.form()
    kind = form.get("kind")
    file = form.get("file")
    back = form.get("back")
    error = await upload_posted(web, person, request_id, kind, file, "public")
    if error is not None:
        target = safe_next(back, "") if isinstance(back, str) else ""
        return await documents_view(
            web, person, request_id, status=400, error=error, back=target or None
        )
    target = safe_next(back, "") if isinstance(back, str) else ""
    suffix = f"&back={quote(target, safe='/')}" if target else ""
    return web.redirect(f"/requests/{request_id}/documents?notice=docs.uploaded{suffix}")


async def upload_posted(  # noqa: PLR0917 - the posted form's fields
    web: Web,
    person: Principal,
    request_id: UUID,
    kind: object,
    file: object,
    visibility: str,
) -> str | None:
    """Store the posted file (a step of its own: a refusal leaves nothing behind); None when
    stored, else the message for the file field."""
    if not isinstance(kind, str) or not kind:
        return web.t("v.choose")
    if not isinstance(file, UploadFile) or not file.filename:
        return web.t("v.required")
    try:
        async with web.all_or_nothing():
            await upload_document(web, person, request_id, kind, file, visibility)
    except UPLOAD_REFUSALS as exc:
        return upload_error(web, exc)
    return None


async def upload_document(  # noqa: PLR0917 - the page's upload, as the API's form fields
    web: Web,
    person: Principal,
    request_id: UUID,
    kind: str,
    file: UploadFile,
    visibility: str,
) -> AttachmentOut:
    """Store one browser-posted file through the attachments context, exactly as the API
    does (who may upload now, kind, visibility, size, type by content); raises its refusals
    (``UPLOAD_REFUSALS`` among them) in the caller's transaction."""
    boundary = secrets.token_hex(16)
    return await upload_attachment(
        web.db,
        settings=web.settings,
        storage=storage_from_settings(web.settings),
        principal=person,
        request_id=request_id,
        upload=IncomingUpload(
            chunks=_as_api_upload(kind[:64], _quoted(visibility[:16]), file, boundary),
            content_type=f"multipart/form-data; boundary={boundary}",
            content_length=None,
        ),
    )


def upload_error(web: Web, exc: DomainError) -> str:
    """A refused upload worded for people."""
    if isinstance(exc, PayloadTooLarge):
        return web.t("v.file_too_large")
    if isinstance(exc, UnsupportedMediaType):
        return web.t("v.file_type")
    if isinstance(exc, Conflict):
        return web.t("req.not_possible")
    if isinstance(exc, Forbidden):
        return web.t("docs.not_allowed")
    return web.t("v.invalid")


@get("/requests/{request_id:uuid}/attachments/{attachment_id:uuid}", name="web-download")
async def download(
    web: WebPage, request_id: FromPath[UUID], attachment_id: FromPath[UUID]
) -> Stream:
    """The file, as the API serves it: as a download, never rendered in the page's origin."""
    person = web.require_person()
    found = await attachments.open_attachment(
        web.db, storage_from_settings(web.settings), person, request_id, attachment_id
    )
    row = found.attachment
    return Stream(found.chunks, media_type=row.content_type, headers=download_headers(row))


routes = [documents_page, upload, download]
