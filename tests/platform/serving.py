"""Running ``eservice serve`` as a real subprocess: start it, wait until it answers, find the
processes it started (API processes, embedded PostgreSQL)."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[2]
ESERVICE = [sys.executable, "-m", "eservice.cli.main"]
# Generous: on two cores shared with other work a first start (initdb, migrations, the
# catalogue, several interpreters importing the app) takes tens of seconds.
READY_WITHIN = 180.0


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without ESERVICE_* or a metrics directory, plus ``settings``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ESERVICE_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(settings)
    return env


def start_serve(args: list[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    return start_process([*ESERVICE, "serve", *args], env)


def start_process(
    command: list[str], env: Mapping[str, str], *, stdout: int | None = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    """``command`` in the repository, its stderr kept for the test."""
    return subprocess.Popen(
        command,
        env=dict(env),
        cwd=REPO,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )


def api_processes(supervisor: psutil.Process) -> list[psutil.Process]:
    """uvicorn's API processes under ``serve --processes`` (not multiprocessing's tracker)."""
    processes = []
    for child in supervisor.children():
        with contextlib.suppress(psutil.NoSuchProcess):
            if any("spawn_main" in part for part in child.cmdline()):
                processes.append(child)
    return processes


def wait_ready(
    base_url: str,
    proc: subprocess.Popen[str],
    count: int = 1,
    *,
    within: float = READY_WITHIN,
    seen: set[int] | None = None,
) -> None:
    """Until ``count`` API processes run (``count`` > 1) and the API answers /health/ready;
    ``seen`` collects every API process observed on the way."""
    supervisor = psutil.Process(proc.pid)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"serve exited with {proc.returncode}: {err}")
        running = api_processes(supervisor) if count > 1 else []
        if seen is not None:
            seen.update(p.pid for p in running)
        with contextlib.suppress(httpx.HTTPError):
            if (
                len(running) == (count if count > 1 else 0)
                and httpx.get(base_url + "/health/ready", timeout=5).status_code == 200
            ):
                return
        time.sleep(0.2)
    observed = f"; API processes seen: {sorted(seen)}" if seen is not None else ""
    raise AssertionError(f"serve did not become ready within {within:.0f} s{observed}")


def stop(proc: subprocess.Popen[str], signum: int, *, within: float = 90) -> str:
    """Send ``signum``; return what serve wrote to stderr once it has exited."""
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=within)
    return err


def kill_if_running(proc: subprocess.Popen[str]) -> None:
    """Kill serve and the processes it started (they hold its stderr open)."""
    if proc.poll() is None:
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        proc.kill()
        proc.communicate(timeout=30)


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """PostgreSQL processes serving ``pgdata`` (the postmaster names it on its command line)."""
    found = []
    for proc in psutil.process_iter(attrs=["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if any(str(pgdata) in part for part in cmdline):
            found.append(proc)
    return found


def wait_no_postgres(pgdata: Path, within: float = 20) -> list[psutil.Process]:
    """PostgreSQL processes still serving ``pgdata`` after up to ``within`` seconds."""
    deadline = time.monotonic() + within
    while (left := postgres_processes(pgdata)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@contextlib.contextmanager
def scratch_data_dir(prefix: str) -> Iterator[Path]:
    """A data dir under the repository's .data/, not under pytest's tmp root.

    pytest resets its tmp root to mode 0700 whenever a session starts, which would lock the
    embedded server's own system user out of its data directory. Any server left running
    there is stopped at the end, so that a failing test leaves nothing behind.
    """
    path = REPO / ".data" / f"{prefix}-{secrets.token_hex(4)}"
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        for proc in postgres_processes(path):
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        shutil.rmtree(path, ignore_errors=True)
