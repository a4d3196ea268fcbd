"""The README's run command (`make run`) runs the API and the worker together."""

from __future__ import annotations

import shlex
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.platform.serving import (
    REPO,
    clean_environment,
    kill_if_running,
    start_process,
    stop,
    wait_ready,
)
from tests.support.live_server import free_port


def _run_command(*make_args: str) -> list[str]:
    """The command `make run` runs (make -n prints it without running anything)."""
    printed = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", *make_args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    line = next(line for line in printed.splitlines() if "eservice serve" in line)
    return shlex.split(line)


def test_the_worker_can_be_turned_off_for_deployments_that_run_it_apart() -> None:
    assert "--with-worker" in _run_command()
    assert "--with-worker" not in _run_command("WORKER=off")


def test_make_run_delivers_the_verification_email_of_a_registration(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = _run_command(f"ARGS=--no-prepare --port {port}")
    env = clean_environment(
        ESERVICE_ENV="test",
        ESERVICE_DATA_DIR=str(tmp_path),
        ESERVICE_DATABASE_URL=database_url,
        ESERVICE_LOG_LEVEL="WARNING",
    )
    proc = start_process(command, env)
    try:
        wait_ready(base_url, proc)
        registered = httpx.post(
            f"{base_url}/api/v1/auth/register",
            json={
                "email": "erika-make-run@example.org",
                "password": "korrekt-Pferd-Batterie",
                "display_name": "Erika Mustermann",
            },
            timeout=30,
        )
        assert registered.status_code == 201, registered.text
        # Without SMTP configured, the worker writes the email where the README says.
        mail = tmp_path / "mail"
        deadline = time.monotonic() + 60
        while not any(
            "erika-make-run@example.org" in p.read_text() and "ve_" in p.read_text()
            for p in mail.glob("*.eml")
        ):
            assert time.monotonic() < deadline, "no verification email within 60 s"
            time.sleep(0.2)
        err = stop(proc, signal.SIGTERM)
    finally:
        kill_if_running(proc)
    assert proc.returncode == 0, err
