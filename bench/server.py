"""The API as in production: uvicorn (uvloop, httptools), no access log, ``eservice worker``.

For the ASGI server comparison the same app (``eservice.cli.serve:app``, the factory each of
``eservice serve --processes N``'s processes builds) and the bare stack also run under granian.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.database import say

VENV_BIN = Path(sys.executable).parent
GRANIAN = VENV_BIN / "granian"


def granian_available() -> bool:
    """Whether the bench's optional ASGI server is installed (``make bench`` installs it)."""
    return GRANIAN.exists()


def granian_command(target: str, port: int, workers: int, *, factory: bool) -> list[str]:
    """granian serving ``target`` like uvicorn serves it: uvloop, no access log, no websockets
    (the API has none), ``workers`` processes."""
    return [
        str(GRANIAN),
        "--interface",
        "asgi",
        *(["--factory"] if factory else []),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--no-ws",
        "--no-access-log",
        "--log-level",
        "warning",
        target,
    ]


@dataclass
class Api:
    """The running API (uvicorn and its worker processes) and the background worker."""

    base_url: str
    server: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes] | None
    log_path: Path
    workers: int = 1
    _logs: list[object] = field(default_factory=list)

    def api_pids(self) -> list[int]:
        """The processes that serve requests (uvicorn's workers, or uvicorn itself)."""
        children = [pid for pid in _children(self.server.pid) if _serves(pid)]
        return children or [self.server.pid]

    def stop(self) -> None:
        procs = [proc for proc in (self.server, self.worker) if proc is not None]
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()  # type: ignore[attr-defined]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return sorted(found)


def _serves(pid: int) -> bool:
    """Not multiprocessing's resource tracker (a child of uvicorn's supervisor too)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"resource_tracker" not in cmdline


def _wait_ready(
    base_url: str, proc: subprocess.Popen[bytes], log_path: Path, path: str = "/health/ready"
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: the API exited early; see {log_path}")
        try:
            with urllib.request.urlopen(base_url + path, timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and path != "/health/ready":
                return  # the bare stack answers, and the id it was asked for does not exist
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"bench: the API did not become ready within 60 s; see {log_path}")


def start(
    env: dict[str, str],
    port: int,
    workers: int,
    log_dir: Path,
    *,
    asgi: str = "uvicorn",
    worker: bool = True,
) -> Api:
    """Start the API with ``workers`` processes and one ``eservice worker``; wait until ready.

    Exactly what a deployment runs: ``eservice serve --no-prepare --processes N`` (one process
    serves itself; several run under uvicorn's supervisor). With ``asgi="granian"``, granian
    serves the factory those processes build, with the same environment (and, like serve, a
    fresh directory for the processes' metrics). ``worker=False``: no ``eservice worker`` of
    its own (a second API beside the first shares the first one's).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    server_log = (log_dir / "api.log").open("ab")
    worker_log = (log_dir / "worker.log").open("ab")
    command = [
        str(VENV_BIN / "eservice"),
        "serve",
        "--no-prepare",
        "--port",
        str(port),
        "--processes",
        str(workers),
    ]
    server_env = env
    if asgi == "granian":
        command = granian_command("eservice.cli.serve:app", port, workers, factory=True)
        metrics = Path(env["ESERVICE_DATA_DIR"]) / "metrics-granian"
        metrics.mkdir(parents=True, exist_ok=True)
        for stale in metrics.glob("*.db"):
            stale.unlink()
        server_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    cwd = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(
        command, env=server_env, cwd=cwd, stdout=server_log, stderr=server_log
    )
    background = (
        subprocess.Popen(
            [str(VENV_BIN / "eservice"), "worker"],
            env=env,
            cwd=cwd,
            stdout=worker_log,
            stderr=worker_log,
        )
        if worker
        else None
    )
    base_url = f"http://127.0.0.1:{port}"
    api = Api(base_url, server, background, log_dir / "api.log", workers, [server_log, worker_log])
    try:
        _wait_ready(base_url, server, log_dir / "api.log")
    except BaseException:
        api.stop()
        raise
    running = ", worker running" if worker else ""
    say(f"API ready at {base_url} ({workers} {asgi} process(es){running})")
    return api


@dataclass
class Bare:
    """The bare stack (bench/bare.py) under uvicorn, as many processes as the API."""

    base_url: str
    server: subprocess.Popen[bytes]
    log: object

    def stop(self) -> None:
        if self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        self.log.close()  # type: ignore[attr-defined]


def start_bare(
    env: dict[str, str], port: int, workers: int, log_dir: Path, *, asgi: str = "uvicorn"
) -> Bare:
    """Serve bench/bare.py the way ``eservice serve`` serves the API (uvicorn, uvloop,
    httptools, no access log, ``workers`` processes), or under granian; wait until it answers."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = (log_dir / "bare.log").open("ab")
    command = [
        str(VENV_BIN / "python"),
        "-m",
        "uvicorn",
        "bench.bare:app",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if asgi == "granian":
        command = granian_command("bench.bare:app", port, workers, factory=False)
    cwd = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=log)
    bare = Bare(f"http://127.0.0.1:{port}", server, log)
    try:
        _wait_ready(
            bare.base_url,
            server,
            log_dir / "bare.log",
            path="/api/v1/requests/00000000-0000-0000-0000-000000000000",
        )
    except BaseException:
        bare.stop()
        raise
    say(f"bare stack ready at {bare.base_url} ({workers} {asgi} process(es))")
    return bare


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU the processes have used so far, from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLOCK_TICKS


def rss_kib(pid: int) -> int:
    """Resident set size of one process, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_count() -> int:
    return os.cpu_count() or 1
