"""The data protection API: export one's data, erase one's account, Art. 15 exports by admins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import delete, get
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments.backends import storage_from_settings
from eservice.core.config import Settings
from eservice.core.deps import AnyRequest, app_settings
from eservice.identity.authentication import CALLER, caller
from eservice.identity.guards import require_admin
from eservice.identity.schemas import EMAIL_PATTERN
from eservice.privacy import erasure, export
from eservice.privacy.schemas import AccountErasureIn

TAGS = ["data protection"]
Session = NamedDependency[AsyncSession]


def _zip(archive: export.PersonExport, settings: Settings, name: str) -> Stream:
    day = datetime.now(UTC).date().isoformat()
    return Stream(
        export.archive_chunks(archive, storage_from_settings(settings)),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{day}.zip"',
            "Cache-Control": "no-store",
        },
    )


@get(
    "/api/v1/me/export", tags=TAGS, summary="Everything held about me, as a ZIP archive", opt=CALLER
)
async def export_my_data(db_session: Session, request: AnyRequest) -> Stream:
    principal = caller(request)
    settings = app_settings(request)
    archive = await export.export_own_data(db_session, principal)
    return _zip(archive, settings, "eservice-export")


@delete(
    "/api/v1/me",
    tags=TAGS,
    summary="Close my account and erase my personal data (current password required)",
    status_code=204,
    opt=CALLER,
)
async def erase_my_account(
    data: JSONBody[AccountErasureIn], db_session: Session, request: AnyRequest
) -> None:
    principal = caller(request)
    settings = app_settings(request)
    await erasure.erase_own_account(
        db_session, settings, storage_from_settings(settings), principal, data.password
    )


@get(
    "/api/v1/admin/people/export",
    tags=TAGS,
    summary="Art. 15 export of a person by email (admin; recorded in the admin audit)",
    opt=CALLER,
)
async def export_person(
    email: Annotated[
        str, QueryParameter(name="email", min_length=3, max_length=254, pattern=EMAIL_PATTERN)
    ],
    db_session: Session,
    request: AnyRequest,
) -> Stream:
    principal = caller(request)
    settings = app_settings(request)
    require_admin(principal)
    archive = await export.export_person_by_email(db_session, principal, email)
    return _zip(archive, settings, "eservice-art15")


routes = [export_my_data, erase_my_account, export_person]
