"""``serve --processes N``: several API processes on one port, replaced when one dies, ready
on a busy machine too."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from tests.platform.serving import (
    api_processes,
    clean_environment,
    kill_if_running,
    start_serve,
    stop,
    wait_ready,
)
from tests.support.live_server import free_port


def _env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    return clean_environment(
        ESERVICE_ENV="test",
        ESERVICE_DATA_DIR=str(data_dir),
        ESERVICE_DATABASE_URL=database_url,
        ESERVICE_LOG_LEVEL="WARNING",
        **settings,
    )


def _requests_counted(base_url: str, path: str) -> float:
    text = httpx.get(base_url + "/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "eservice_requests_total" and sample.labels.get("path") == path
    )


def _wait_counted(base_url: str, path: str, expected: float) -> None:
    deadline = time.monotonic() + 30
    while (counted := _requests_counted(base_url, path)) != expected:
        assert time.monotonic() < deadline, f"/metrics counts {counted} for {path}, not {expected}"
        time.sleep(0.1)


@contextlib.contextmanager
def _only(serving: psutil.Process, others: list[psutil.Process]) -> Iterator[None]:
    """Only ``serving`` accepts connections while the block runs: the others are paused.

    The processes share one listening socket and whichever is running accepts; a paused one
    cannot. This picks the process without depending on how the kernel spreads connections.
    """
    for other in others:
        other.suspend()
    try:
        yield
    finally:
        for other in others:
            other.resume()


def test_serve_runs_several_api_processes_and_replaces_one_that_dies(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # Left by an earlier run: its metrics files are removed (they would be summed), nothing else.
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"not a metrics file")
    (tmp_path / "metrics" / "README.txt").write_text("kept")
    proc = start_serve(
        ["--no-prepare", "--port", str(port), "--processes", "2"], _env(database_url, tmp_path)
    )
    try:
        wait_ready(base_url, proc, 2)
        supervisor = psutil.Process(proc.pid)
        first = api_processes(supervisor)
        # Every process serves the API, built from the same settings and database: five
        # requests answered by each while the other is paused.
        for serving in first:
            with _only(serving, [p for p in first if p != serving]), httpx.Client() as client:
                for _ in range(5):
                    response = client.get(base_url + "/api/v1/services", timeout=30)
                    assert response.status_code == 200
        # /metrics adds up all processes, whichever one answers the scrape (a request is
        # counted just after its response is sent: the first scrapes may come before that).
        _wait_counted(base_url, "/api/v1/services", 10)
        for _ in range(6):
            assert _requests_counted(base_url, "/api/v1/services") == 10
        first[0].kill()
        first[0].wait(timeout=60)  # until the supervisor has noticed (and reaped) it
        wait_ready(base_url, proc, 2)
        replaced = {p.pid for p in api_processes(supervisor)}
        assert first[0].pid not in replaced
        assert first[1].pid in replaced
        # What the process that died had counted still counts.
        for _ in range(4):
            assert _requests_counted(base_url, "/api/v1/services") == 10
        assert any((tmp_path / "metrics").glob("counter_*.db"))
        assert not (tmp_path / "metrics" / "counter_1.db").exists()
        assert (tmp_path / "metrics" / "README.txt").exists()
        err = stop(proc, signal.SIGTERM)
    finally:
        kill_if_running(proc)
    assert proc.returncode == 0, err
    assert "ready (2 API processes)" in err
    assert f"{base_url}/ogc" in err
    assert f"{base_url}/open-data/catalog.ttl" in err
    assert "stopped" in err
    assert not any(p.is_running() for p in first[1:])


@contextlib.contextmanager
def _cpu_hogs(count: int) -> Iterator[None]:
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def test_serve_processes_become_ready_on_a_busy_machine_without_restarts(
    database_url: str, tmp_path: Path
) -> None:
    """Four busy loops compete for the CPU while two API processes start: each must be let
    finish starting (the supervisor took every process that did not answer its health check
    within 5 s for a hung one, and replaced it, over and over)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    assert "ESERVICE_PROCESS_HEALTHCHECK_TIMEOUT" not in os.environ  # the default is tested
    with _cpu_hogs(4):
        proc = start_serve(
            ["--no-prepare", "--port", str(port), "--processes", "2"],
            _env(database_url, tmp_path),
        )
        try:
            seen: set[int] = set()
            # A bound for a hang: with the hogs and other work the first answer took over 3 min.
            wait_ready(base_url, proc, 2, within=420, seen=seen)
            started = {p.pid for p in api_processes(psutil.Process(proc.pid))}
            for _ in range(20):  # still the same two, answering
                assert httpx.get(base_url + "/health/live", timeout=30).status_code == 200
                time.sleep(0.25)
            still = {p.pid for p in api_processes(psutil.Process(proc.pid))}
            err = stop(proc, signal.SIGTERM)
        finally:
            kill_if_running(proc)
    assert len(seen) == 2, f"API processes were replaced while starting: {sorted(seen)}"
    assert still == started == seen
    assert proc.returncode == 0, err
