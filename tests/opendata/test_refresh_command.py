"""``eservice open-data refresh`` recomputes the statistics against the configured database."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.ogc.helpers import insert_request
from tests.platform.test_cli import run_in_process


async def _prepare(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await insert_request(conn, service="hundeanmeldung", state="submitted")
    finally:
        await conn.close()


async def _figures(url: str) -> list[tuple[str, int]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT service_code, filed FROM open_data_monthly_statistics")
    finally:
        await conn.close()
    return [(r["service_code"], r["filed"]) for r in rows]


def test_refresh_command_recomputes_the_monthly_figures(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = database_url.replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(_prepare(plain))
    code, out, err = run_in_process(
        ["open-data", "refresh"], monkeypatch, capsys, ESERVICE_DATABASE_URL=plain
    )
    assert code == 0, err
    assert "statistics refreshed" in out
    assert asyncio.run(_figures(plain)) == [("hundeanmeldung", 1)]
