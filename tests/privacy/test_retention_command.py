"""``eservice retention run`` as an operator runs it: a real process on the test database."""

from __future__ import annotations

import json

import asyncpg

from eservice.core.config import Settings
from tests.attachments.conftest import FileDraft, stored_files
from tests.platform.test_cli import run as run_command
from tests.support.auth import Caller


def _env(database_url: str, settings: Settings) -> dict[str, str]:
    return {
        "ESERVICE_DATABASE_URL": database_url,
        "ESERVICE_DATA_DIR": str(settings.data_path),
        "ESERVICE_ENV": "test",
        "ESERVICE_RETENTION_BATCH_SIZE": "2",
    }


async def test_dry_run_lists_then_the_run_deletes_with_progress(
    database_url: str,
    settings: Settings,
    file_draft: FileDraft,
    citizen: Caller,
    raw_connection: asyncpg.Connection,
) -> None:
    for _ in range(3):
        await file_draft(citizen)
    references = {
        r["reference"] for r in await raw_connection.fetch("SELECT reference FROM requests")
    }
    env = _env(database_url, settings)

    dry = run_command(["retention", "run", "--as-of", "2100-01-01", "--dry-run"], **env)
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True
    assert {item["reference"] for item in report["due"]} == references
    assert await raw_connection.fetchval("SELECT count(*) FROM requests") == 3

    real = run_command(["retention", "run", "--as-of", "2100-01-01"], **env)
    assert real.returncode == 0, real.stderr
    assert json.loads(real.stdout)["deleted"] == 3
    assert "batch 1: 2 requests" in real.stderr
    assert "batch 2: 1 requests" in real.stderr
    assert await raw_connection.fetchval("SELECT count(*) FROM requests") == 0
    assert stored_files(settings) == []

    again = run_command(["retention", "run", "--as-of", "2100-01-01"], **env)
    assert json.loads(again.stdout)["deleted"] == 0


def test_a_bad_date_is_a_usage_error(database_url: str, settings: Settings) -> None:
    result = run_command(
        ["retention", "run", "--as-of", "31.12.2030"], **_env(database_url, settings)
    )
    assert result.returncode == 2
    assert "not a date (YYYY-MM-DD)" in result.stderr
