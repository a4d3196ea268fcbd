"""The command line fails with one clear line, never a traceback."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from eservice.cli.main import main
from tests.support.live_server import free_port

REPO = Path(__file__).resolve().parents[2]
ESERVICE = [sys.executable, "-m", "eservice.cli.main"]


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ESERVICE_")}
    clean.update(env)
    return subprocess.run(
        [*ESERVICE, *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=REPO,
        # A bound for a hang, not a speed test: on two cores shared with other work a
        # command's start alone (the interpreter importing the app) took over 30 s.
        timeout=300,
        check=False,
    )


def run_in_process(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str
) -> tuple[int, str, str]:
    """Run the CLI in this process (fast); return exit code, stdout, stderr."""
    for key in list(os.environ):
        if key.startswith("ESERVICE_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_is_available_for_every_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_in_process(["--help"], monkeypatch, capsys)
    assert code == 0
    commands = [
        "serve",
        "worker",
        "migrate",
        "catalog check",
        "catalog load",
        "users create",
        "clients create",
    ]
    for command in commands:
        assert command.split()[0] in out
        code, sub, _ = run_in_process([*command.split(), "--help"], monkeypatch, capsys)
        assert code == 0, command
        assert "usage: eservice " + command in sub


def test_unreachable_database_is_one_line_and_nonzero() -> None:
    result = run(["migrate"], ESERVICE_DATABASE_URL="postgresql://nobody@127.0.0.1:1/eservice")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("eservice: error")]
    assert len(lines) == 1
    assert "cannot reach the database" in lines[0]


def test_wrong_database_scheme_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_in_process(
        ["migrate"], monkeypatch, capsys, ESERVICE_DATABASE_URL="mysql://root@localhost/eservice"
    )
    assert code != 0
    assert "postgresql://" in err


def test_invalid_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_in_process(["migrate"], monkeypatch, capsys, ESERVICE_PORT="not-a-port")
    assert code == 2
    assert "ESERVICE_PORT" in err


def test_port_in_use_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run_in_process(["serve", "--port", str(port)], monkeypatch, capsys)
    assert code != 0
    assert f"port {port}" in err
    assert "already in use" in err


@pytest.fixture
def scratch_data_dir() -> Iterator[Path]:
    """A data dir under the repository's .data/, not under pytest's tmp root.

    pytest resets its tmp root to mode 0700 whenever a session starts, which would lock the
    embedded server's own system user out of its data directory.
    """
    path = REPO / ".data" / f"test-cli-{secrets.token_hex(4)}"
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_migrate_without_database_url_uses_embedded_postgres_and_keeps_its_data(
    scratch_data_dir: Path,
) -> None:
    data_dir = scratch_data_dir
    first = run(["migrate"], ESERVICE_DATA_DIR=str(data_dir))
    assert first.returncode == 0, first.stderr
    assert "starting embedded PostgreSQL" in first.stderr
    assert (data_dir / "postgres" / "PG_VERSION").is_file()
    second = run(["migrate"], ESERVICE_DATA_DIR=str(data_dir))
    assert second.returncode == 0, second.stderr
    # The second run found the schema already migrated: no upgrade step ran again.
    assert "Running upgrade" not in second.stderr
    assert "database is at" in second.stderr
    # The embedded server stopped with the command that started it.
    pgdata = str(data_dir / "postgres")
    leftovers = [
        proc.pid
        for proc in psutil.process_iter(attrs=["cmdline"])
        if proc.info["cmdline"] and any(pgdata in part for part in proc.info["cmdline"])
    ]
    assert leftovers == []


def test_processes_out_of_range_are_refused_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_in_process(["serve", "--processes", "0"], monkeypatch, capsys)
    assert code == 2
    assert "--processes must be between 1 and 64" in err
    assert "embedded" not in err
    code, _, err = run_in_process(["serve"], monkeypatch, capsys, ESERVICE_PROCESSES="65")
    assert code == 2
    assert "ESERVICE_PROCESSES" in err


def test_an_unusable_metrics_directory_stops_serve_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("not a directory")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(occupied))
    code, _, err = run_in_process(
        ["serve", "--processes", "2", "--port", str(free_port())],
        monkeypatch,
        capsys,
        ESERVICE_DATA_DIR=str(tmp_path),
    )
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("eservice: error")]
    assert len(lines) == 1
    assert f"cannot prepare the metrics directory {occupied}" in lines[0]
    assert "embedded" not in err  # no database was started
    assert occupied.read_text() == "not a directory"
