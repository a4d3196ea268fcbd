"""``eservice attachments cleanup`` removes leftovers and reports what it did."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.attachments.filesystem import FilesystemStorage
from eservice.attachments.storage import new_key
from eservice.cli.main import main
from eservice.core.config import Settings
from eservice.worker import worker_jobs
from tests.attachments.s3_server import S3Server


def _cli_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str, data_dir: Path, **variables: str
) -> None:
    for key in list(os.environ):
        if key.startswith("ESERVICE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ESERVICE_DATABASE_URL", database_url)
    monkeypatch.setenv("ESERVICE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ESERVICE_ENV", "test")
    for name, value in variables.items():
        monkeypatch.setenv(f"ESERVICE_{name.upper()}", value)
    monkeypatch.chdir(data_dir)


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
    _cli_environment(monkeypatch, database_url, session_tmp)

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


def test_cleanup_command_names_the_s3_settings_when_the_store_refuses_them(
    database_url: str,
    session_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    s3_server: S3Server,
    s3_bucket: str,
) -> None:
    settings = {k: str(v) for k, v in s3_server.settings(s3_bucket).items()}
    _cli_environment(
        monkeypatch, database_url, session_tmp, **{**settings, "s3_secret_key": "wrong"}
    )

    with pytest.raises(SystemExit) as stopped:
        main(["attachments", "cleanup"])

    assert stopped.value.code == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("eservice: error: S3 LIST failed: the store refused the credentials")
    assert "ESERVICE_S3_SECRET_KEY" in line


def test_cleanup_command_names_missing_s3_settings(
    database_url: str,
    session_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _cli_environment(
        monkeypatch, database_url, session_tmp, storage="s3", s3_endpoint_url="http://s3.local"
    )

    with pytest.raises(SystemExit) as stopped:
        main(["attachments", "cleanup"])

    assert stopped.value.code == 1
    assert capsys.readouterr().err.strip() == (
        "eservice: error: ESERVICE_STORAGE=s3 needs ESERVICE_S3_BUCKET, "
        "ESERVICE_S3_ACCESS_KEY, ESERVICE_S3_SECRET_KEY"
    )
