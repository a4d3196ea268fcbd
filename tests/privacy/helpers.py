"""Shared steps of the data protection tests: a request taken to a closed state, a run."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.attachments.consistency import wait_for_file_removals
from eservice.core.config import Settings
from eservice.privacy.retention import RetentionReport, run_retention
from tests.attachments.conftest import Advance, FileDraft, Upload, pdf_bytes, png_bytes
from tests.requests.helpers import Client, file_request
from tests.support.auth import Caller

FAR_FUTURE = date(2100, 1, 1)


async def closed_parking_permit(
    file_draft: FileDraft, upload: Upload, advance: Advance, citizen: Caller, clerk: Caller
) -> UUID:
    """A parking permit with a file and comments, approved (closed)."""
    request_id = await file_draft(citizen)
    response = await upload(citizen, request_id, pdf_bytes(5000), filename="Fahrzeugschein.pdf")
    assert response.status_code == 201, response.text
    await advance(citizen, request_id, "submit")
    await advance(clerk, request_id, "start_review")
    await advance(clerk, request_id, "approve")
    return request_id


async def closed_road_report(
    client: Client, upload: Upload, advance: Advance, citizen: Caller, clerk: Caller
) -> UUID:
    """A road damage report (anonymised at retention) with a photo, fixed (closed)."""
    filed = await file_request(client, citizen, "strassenschaden", submit=False)
    request_id = UUID(filed["id"])
    response = await upload(
        citizen,
        request_id,
        png_bytes(),
        filename="schaden.png",
        content_type="image/png",
        kind="foto",
    )
    assert response.status_code == 201, response.text
    await advance(citizen, request_id, "submit")
    await advance(clerk, request_id, "start_work")
    await advance(clerk, request_id, "mark_fixed")
    return request_id


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    as_of: date = FAR_FUTURE,
    *,
    dry_run: bool = False,
) -> RetentionReport:
    report = await run_retention(sessionmaker, settings, as_of=as_of, dry_run=dry_run)
    await wait_for_file_removals()
    return report
