"""Every way ``serve`` is asked to stop ends the embedded PostgreSQL it started."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.platform.serving import (
    clean_environment,
    kill_if_running,
    postgres_processes,
    scratch_data_dir,
    start_serve,
    stop,
    wait_no_postgres,
    wait_ready,
)
from tests.support.live_server import free_port

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """One data dir for the module: the embedded server is initialised and migrated once."""
    with scratch_data_dir("test-stop") as path:
        yield path


def _env(data_dir: Path) -> dict[str, str]:
    return clean_environment(
        ESERVICE_ENV="test", ESERVICE_DATA_DIR=str(data_dir), ESERVICE_LOG_LEVEL="WARNING"
    )


@pytest.mark.parametrize(
    ("signum", "args"),
    [
        (signal.SIGTERM, []),
        (signal.SIGINT, ["--with-worker"]),
        (signal.SIGTERM, ["--with-worker"]),
        (signal.SIGTERM, ["--processes", "2", "--with-worker"]),
    ],
    ids=["sigterm", "sigint-with-worker", "sigterm-with-worker", "sigterm-processes-2-worker"],
)
def test_a_stop_signal_stops_the_embedded_postgres_serve_started(
    data_dir: Path, signum: signal.Signals, args: list[str]
) -> None:
    pgdata = data_dir / "postgres"
    assert postgres_processes(pgdata) == []
    port = free_port()
    proc = start_serve(["--port", str(port), *args], _env(data_dir))
    try:
        processes = int(args[args.index("--processes") + 1]) if "--processes" in args else 1
        wait_ready(f"http://127.0.0.1:{port}", proc, processes)
        assert postgres_processes(pgdata) != []
        err = stop(proc, signum)
    finally:
        kill_if_running(proc)
    assert proc.returncode == 0, err
    assert "stopped" in err
    assert "Traceback" not in err
    assert wait_no_postgres(pgdata, within=5) == []
    assert not (pgdata / "postmaster.pid").exists()


def test_a_user_killed_outright_does_not_keep_the_embedded_postgres_running(
    data_dir: Path,
) -> None:
    """A serve killed with SIGKILL stays in embedded_postgres's list of the server's users;
    the next serve must still stop the server when it stops."""
    pgdata = data_dir / "postgres"
    port = free_port()
    crashed = start_serve(["--port", str(port)], _env(data_dir))
    try:
        wait_ready(f"http://127.0.0.1:{port}", crashed)
        crashed.kill()
        crashed.communicate(timeout=30)
    finally:
        kill_if_running(crashed)
    # What a crash leaves behind: the server running, the dead process listed as its user.
    assert postgres_processes(pgdata) != []
    assert crashed.pid in json.loads((pgdata / ".handle_pids.json").read_text())

    port = free_port()
    proc = start_serve(["--port", str(port)], _env(data_dir))
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        err = stop(proc, signal.SIGTERM)
    finally:
        kill_if_running(proc)
    assert proc.returncode == 0, err
    assert wait_no_postgres(pgdata, within=5) == []
