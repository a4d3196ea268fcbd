"""``eservice attachments cleanup`` removes leftovers and reports what it did."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.attachments.storage import FilesystemStorage, new_key
from eservice.cli.main import main
from eservice.core.config import Settings
from eservice.worker import worker_jobs


def test_cleanup_command_removes_old_orphans_and_prints_a_report(
    database_url: str,
    session_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    storage = FilesystemStorage(session_tmp / "files")
    orphan = storage.path_for(new_key())
    fresh = storage.path_for(new_key())
    for path in (orphan, fresh):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"left over")
    past = time.time() - 3600
    os.utime(orphan, (past, past))
    for key in list(os.environ):
        if key.startswith("ESERVICE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ESERVICE_DATABASE_URL", database_url)
    monkeypatch.setenv("ESERVICE_DATA_DIR", str(session_tmp))
    monkeypatch.setenv("ESERVICE_ENV", "test")
    monkeypatch.chdir(session_tmp)

    code = main(["attachments", "cleanup", "--older-than-minutes", "30"])

    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"removed_files": 1, "removed_staged": 0}
    assert not orphan.exists()
    assert fresh.exists()


def test_cleanup_command_refuses_a_zero_grace_period(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], session_tmp: Path
) -> None:
    monkeypatch.chdir(session_tmp)
    with pytest.raises(SystemExit) as stopped:
        main(["attachments", "cleanup", "--older-than-minutes", "0"])
    assert stopped.value.code == 2
    assert "--older-than-minutes" in capsys.readouterr().err


async def test_the_worker_cleans_old_leftover_files_in_its_housekeeping(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    storage = FilesystemStorage(settings.data_path / "files")
    orphan = storage.path_for(new_key())
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left over by a crashed upload")
    past = time.time() - 2 * 3600
    os.utime(orphan, (past, past))
    jobs = dict(worker_jobs(settings))

    await jobs["clean_attachment_leftovers"](sessionmaker, 100)

    assert not orphan.exists()
