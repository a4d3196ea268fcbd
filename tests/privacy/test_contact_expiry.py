"""Anonymous reporters' contact data goes when the report has been closed for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.privacy.retention import run_retention
from tests.public.helpers import Client, file_anonymously, request_id_of


async def test_contact_of_a_report_closed_long_enough_is_forgotten_others_kept(
    client: Client,
    raw_connection: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    ids = {}
    for name in ("long-closed", "just-closed", "open"):
        body = await file_anonymously(client, contact={"email": f"{name}@example.org"})
        ids[name] = await request_id_of(raw_connection, body["reference"])
    now = datetime.now(UTC)
    days = settings.retention_contact_days
    # Closing is the workflow's business (tested elsewhere); only the closing time matters here.
    for name, closed in (
        ("long-closed", now - timedelta(days=days + 2)),
        ("just-closed", now - timedelta(days=days - 2)),
    ):
        await raw_connection.execute(
            "UPDATE requests SET closed_at = $2 WHERE id = $1", ids[name], closed
        )

    await run_retention(sessionmaker, settings)

    kept = {
        str(r["request_id"]): r["email"]
        for r in await raw_connection.fetch("SELECT request_id, email FROM request_contacts")
    }
    assert ids["long-closed"] not in kept
    assert kept[ids["just-closed"]] == "just-closed@example.org"
    assert kept[ids["open"]] == "open@example.org"
    assert (
        await raw_connection.fetchval(
            "SELECT count(*) FROM requests WHERE id = $1", ids["long-closed"]
        )
        == 1
    )  # the report itself stays until its own retention date
