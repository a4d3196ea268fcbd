"""HTTP endpoints of attachments: upload (streamed multipart), list, download, delete."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import InternalServerException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import FromPath, PathParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments import service, uploads
from eservice.attachments.backends import storage_from_settings
from eservice.attachments.filenames import content_disposition
from eservice.attachments.schemas import KIND_PATTERN, AttachmentOut
from eservice.attachments.tables import AttachmentRow
from eservice.core.config import Settings
from eservice.core.deps import AnyRequest, app_settings
from eservice.core.errors import BadRequest
from eservice.core.idempotency import IdempotencyKeyHeader, Produced, caller_key, idempotent
from eservice.core.pagination import Cursor, Limit, Page, check_limit
from eservice.identity.authentication import CALLER, caller
from eservice.identity.principal import Principal
from eservice.requests.tracking import reporter_for_token

TAGS = ["attachments"]
BASE = "/api/v1/requests/{request_id:uuid}/attachments"


@dataclass
class UploadOperation(Operation):
    """The upload is read as a stream, so its multipart body is described here by hand."""

    def __post_init__(self) -> None:
        form = Schema(
            type=OpenAPIType.OBJECT,
            required=["file", "kind"],
            properties={
                "file": Schema(
                    type=OpenAPIType.STRING,
                    format=OpenAPIFormat.BINARY,
                    description=(
                        "A file of a type the service accepts for this kind, within its size "
                        "limit (else 422 at /file, 413 when too large)."
                    ),
                ),
                "kind": Schema(
                    type=OpenAPIType.STRING,
                    pattern=KIND_PATTERN,
                    description=(
                        "One of the service's `required_documents` kinds (else 422 at /kind)."
                    ),
                ),
                "visibility": Schema(type=OpenAPIType.STRING, enum=["public", "internal"]),
            },
            additional_properties=False,
        )
        self.request_body = RequestBody(
            required=True, content={"multipart/form-data": OpenAPIMediaType(schema=form)}
        )


async def _body(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    """The request body as it arrives; a dropped connection is a client error, not ours."""
    try:
        async for chunk in request.stream():
            yield chunk
    except InternalServerException:
        raise BadRequest("The upload was interrupted before the body was complete.") from None


def _content_length(request: Request[Any, Any, Any]) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.isdigit():
        raise BadRequest("Content-Length is not a number.")
    return int(raw)


UPLOAD_RESPONSES = {
    201: ResponseSpec(data_container=AttachmentOut, description="The stored attachment"),
    413: ResponseSpec(None, description="The file or the body is too large"),
    415: ResponseSpec(None, description="Not multipart, or a type the kind does not take"),
}


@post(
    BASE,
    tags=TAGS,
    summary="Attach a document (multipart/form-data: file, kind, visibility?)",
    description=(
        "Form fields: `file` (the file), `kind` (a document kind of the service), optional "
        "`visibility` (`public`, or `internal` for staff). The type is decided by the file's "
        "content; limits per kind come from the catalogue."
    ),
    status_code=201,
    operation_class=UploadOperation,
    responses=UPLOAD_RESPONSES,
    request_max_body_size=None,
    opt=CALLER,  # enforced while streaming, per service and kind
)
async def upload_attachment(
    request: Request[Any, Any, Any],
    *,
    request_id: FromPath[UUID],
    db_session: NamedDependency[AsyncSession],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    principal = caller(request)
    settings = app_settings(request)
    return await _upload(request, request_id, principal, db_session, settings, idempotency_key)


@post(
    "/api/v1/tracking/{token:str}/attachments",
    tags=TAGS,
    summary="Add a photo to a public report with its tracking token (while not yet worked on)",
    description="The same form as for a request's attachments; public visibility only.",
    status_code=201,
    operation_class=UploadOperation,
    responses=UPLOAD_RESPONSES,
    request_max_body_size=None,  # enforced while streaming, per service and kind
)
async def upload_attachment_by_token(
    request: Request[Any, Any, Any],
    *,
    token: Annotated[str, PathParameter(max_length=128)],
    db_session: NamedDependency[AsyncSession],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    settings = app_settings(request)
    reporter, row = await reporter_for_token(db_session, token)
    return await _upload(request, row.id, reporter, db_session, settings, idempotency_key)


async def _upload(  # noqa: PLR0917 - the route's parameters, in its order
    request: Request[Any, Any, Any],
    request_id: UUID,
    principal: Principal,
    db_session: AsyncSession,
    settings: Settings,
    idempotency_key: str | None,
) -> Response[Any]:
    pending = await uploads.receive_attachment(
        db_session,
        settings=settings,
        principal=principal,
        request_id=request_id,
        upload=uploads.IncomingUpload(
            chunks=_body(request),
            content_type=request.headers.get("content-type"),
            content_length=_content_length(request),
        ),
        release_connection=True,
    )

    async def produce() -> Produced:
        created = await uploads.store_attachment(
            db_session, storage_from_settings(settings), pending
        )
        return Produced(status=201, content=created, headers={"Location": created.url})

    try:
        return await idempotent(
            db_session,
            caller=caller_key(principal.kind, principal.id),
            key=idempotency_key,
            fingerprint=pending.fingerprint,
            produce=produce,
        )
    finally:
        await pending.discard()


@get(BASE, tags=TAGS, summary="List a request's attachments (oldest first)", opt=CALLER)
async def list_attachments(
    request_id: FromPath[UUID],
    request: AnyRequest,
    db_session: NamedDependency[AsyncSession],
    limit: Limit = None,
    cursor: Cursor = None,
) -> Page[AttachmentOut]:
    principal = caller(request)
    items, next_cursor = await service.list_request_attachments(
        db_session, principal, request_id, cursor=cursor, limit=check_limit(limit)
    )
    return Page(items=items, next_cursor=next_cursor)


@get(
    BASE + "/{attachment_id:uuid}",
    tags=TAGS,
    summary="Download an attachment (streamed, as an attachment, with its sha256)",
    opt=CALLER,
)
async def download_attachment(
    request_id: FromPath[UUID],
    attachment_id: FromPath[UUID],
    request: AnyRequest,
    db_session: NamedDependency[AsyncSession],
) -> Stream:
    principal = caller(request)
    settings = app_settings(request)
    download = await service.open_attachment(
        db_session, storage_from_settings(settings), principal, request_id, attachment_id
    )
    row = download.attachment
    return Stream(download.chunks, media_type=row.content_type, headers=download_headers(row))


def download_headers(row: AttachmentRow) -> dict[str, str]:
    """How a file is sent (API and web pages alike): as a download, sandboxed, never cached."""
    digest = base64.b64encode(bytes.fromhex(row.sha256)).decode()
    return {
        "Content-Length": str(row.size),
        "Content-Disposition": content_disposition(row.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "ETag": f'"{row.sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:",
        "X-Checksum-SHA256": row.sha256,
    }


@get(
    "/api/v1/public-photos/{attachment_id:uuid}",
    tags=TAGS,
    summary="A public photo of a public report (the Open311 media_url)",
)
async def download_public_photo(
    attachment_id: FromPath[UUID],
    db_session: NamedDependency[AsyncSession],
    request: AnyRequest,
) -> Stream:
    settings = app_settings(request)
    download = await service.open_public_photo(
        db_session, storage_from_settings(settings), attachment_id
    )
    row = download.attachment
    return Stream(
        download.chunks,
        media_type=row.content_type,
        headers={
            "Content-Length": str(row.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "public, max-age=300",
            "ETag": f'"{row.sha256}"',
        },
    )


@delete(
    BASE + "/{attachment_id:uuid}",
    tags=TAGS,
    summary="Remove an attachment from a draft (applicant only)",
    status_code=204,
    opt=CALLER,
)
async def delete_attachment(
    request_id: FromPath[UUID],
    attachment_id: FromPath[UUID],
    request: AnyRequest,
    db_session: NamedDependency[AsyncSession],
) -> None:
    principal = caller(request)
    settings = app_settings(request)
    await service.delete_attachment(
        db_session, storage_from_settings(settings), principal, request_id, attachment_id
    )


routes = [
    upload_attachment,
    upload_attachment_by_token,
    list_attachments,
    download_attachment,
    download_public_photo,
    delete_attachment,
]
