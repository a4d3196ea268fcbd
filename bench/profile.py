"""Where a request's time goes: ``make profile`` (``python -m bench.profile``).

The bench says how fast; this says why. For each operation (default: read and file) it
starts the same stack as ``make bench`` (embedded PostgreSQL, the bench database and seed,
``eservice serve --processes 2``, ``eservice worker``) and, under wrk at c=32:

1. measures the API processes' CPU per operation with no profiler attached (from /proc);
2. records the API processes with py-spy, native frames included (``--native``: the C parts
   of asyncpg, uvloop, httptools, msgspec and the system calls show up, not only Python), and
   attributes every sample to one part of the stack (``CATEGORIES``: the frame nearest the
   leaf that belongs to a known package; CPython's own frames are skipped upward), so the
   CPU per operation splits into microseconds per part;
3. records the whole machine with ``perf record -a`` (software clock: this kind of VM has no
   hardware counters) while the API runs the operation, and again while pgbench runs the
   minimal SQL for it, and prints the CPU share per program and PostgreSQL's top symbols in
   both runs: what PostgreSQL does for the API that it does not do for pgbench.

py-spy comes with ``make profile`` (the ``bench`` dependency group); perf comes from Debian's
``linux-perf`` and is installed with apt-get when missing and running as root. Results are
printed and written to ``bench/results/profile-<UTC time>.json``; bench/README.md discusses
them. py-spy pauses a process for each sample (native unwinding needs it), so the profiled
run is slower than the measured one: shares come from the profile, absolute CPU from step 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import database, seed, server
from bench.database import say
from bench.loadgen import ensure_wrk
from bench.options import REPO, ROOT
from bench.workload import Workload

PY_SPY = server.VENV_BIN / "py-spy"
RATE_HZ = 250
CONCURRENCY = 32

# (name, what matches a Python frame's file path or a native frame's library), nearest the
# leaf wins. System calls are recognised by the libc function a native frame names.
CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "asyncpg (driver: protocol, codecs)",
        re.compile(r"/asyncpg/|asyncpg.*\.so|protocol\.cpython"),
    ),
    ("SQLAlchemy (pool, engine, ORM)", re.compile(r"/sqlalchemy/")),
    ("greenlet (SQLAlchemy's async bridge)", re.compile(r"greenlet")),
    ("msgspec (JSON, validation)", re.compile(r"msgspec")),
    ("python-jose / cryptography (tokens)", re.compile(r"/jose/|cryptography|_rust\.abi3")),
    ("jsonschema-rs (form validation)", re.compile(r"jsonschema_rs")),
    ("prometheus_client (metrics)", re.compile(r"/prometheus_client/")),
    (
        "eservice middleware (request id, metrics, log)",
        re.compile(r"/eservice/core/middleware\.py"),
    ),
    ("eservice (rules, repositories, presenters)", re.compile(r"/eservice/")),
    ("Litestar (routing, DI, request, response)", re.compile(r"/litestar/")),
    ("uvicorn + httptools (HTTP)", re.compile(r"/uvicorn/|httptools")),
    ("uvloop (event loop)", re.compile(r"uvloop")),
    ("asyncio / anyio", re.compile(r"/asyncio/|/anyio/")),
)
SYSCALLS = re.compile(
    r"^(write|writev|send|sendto|sendmsg|read|readv|recv|recvfrom|recvmsg|"
    r"epoll_ctl|__libc_write|__libc_read|__send|__recv|__write|__read|syscall)\b"
)
WAITS = re.compile(r"^(epoll_wait|epoll_pwait|__epoll_wait|select|poll|pthread_cond_wait)\b")
SYSTEM_CALLS = "system calls (socket send/receive)"
IDLE = "idle (waiting in epoll_wait)"  # not CPU: left out of the split
OTHER = "CPython interpreter, memory, other"


@dataclass(frozen=True)
class Frame:
    name: str
    where: str  # a Python file path, or a native library

    @property
    def native(self) -> bool:
        return not self.where.endswith(".py") and ".py:" not in self.where


_FRAME = re.compile(r"^(?P<name>.*?) \((?P<where>[^()]*)\)$")


def parse_frame(text: str) -> Frame:
    """One frame of py-spy's raw output: ``name (path:line)`` or ``name (library)``."""
    match = _FRAME.match(text.strip())
    if match is None:
        return Frame(text.strip(), "")
    return Frame(match["name"], match["where"])


def categorise(stack: list[Frame]) -> str:
    """The part of the stack a sample belongs to (``stack`` runs from the root to the leaf)."""
    for frame in reversed(stack):
        if frame.native and "libc" in frame.where:
            if WAITS.match(frame.name):
                return IDLE
            if SYSCALLS.match(frame.name):
                return SYSTEM_CALLS
        text = f"{frame.name} ({frame.where})"  # Cython symbols name their module
        for name, pattern in CATEGORIES:
            if pattern.search(text):
                return name
    return OTHER


def attribute(raw: str) -> Counter[str]:
    """Samples per category from py-spy's ``--format raw`` (collapsed stacks and a count)."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not stack_text or not count.isdigit():
            continue
        counts[categorise([parse_frame(f) for f in stack_text.split(";")])] += int(count)
    return counts


def split_cpu(counts: Counter[str], cpu_ms: float) -> list[dict[str, object]]:
    """Each category's share of the on-CPU samples (waits left out) and its microseconds of
    one operation's CPU."""
    busy = Counter({name: n for name, n in counts.items() if name != IDLE})
    total = sum(busy.values()) or 1
    return [
        {
            "part": name,
            "share": round(n / total, 4),
            "us_per_op": round(n / total * cpu_ms * 1000, 1),
        }
        for name, n in busy.most_common()
    ]


def ensure_perf() -> str | None:
    found = shutil.which("perf")
    if found is None and shutil.which("apt-get") and Path("/proc/self").stat().st_uid == 0:
        say("perf is missing; installing linux-perf with apt-get ...")
        subprocess.run(["apt-get", "install", "-y", "linux-perf"], check=False, capture_output=True)
        found = shutil.which("perf")
    return found


def _in_background(job: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=job)
    thread.start()
    return thread


def py_spy(pids: list[int], seconds: int, scratch: Path) -> Counter[str]:
    """py-spy on every API process at once for ``seconds``; samples per category."""
    outputs = [scratch / f"py-spy-{pid}.txt" for pid in pids]
    procs = [
        subprocess.Popen(
            [
                str(PY_SPY),
                "record",
                "--pid",
                str(pid),
                "--native",
                "--full-filenames",
                "--rate",
                str(RATE_HZ),
                "--duration",
                str(seconds),
                "--format",
                "raw",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid, out in zip(pids, outputs, strict=True)
    ]
    counts: Counter[str] = Counter()
    for proc, out in zip(procs, outputs, strict=True):
        proc.wait()
        if out.exists():
            counts += attribute(out.read_text())
    return counts


def perf_record(perf: str, seconds: int, scratch: Path, name: str) -> dict[str, object]:
    """The machine for ``seconds``: CPU share per program, and PostgreSQL's top symbols."""
    data = scratch / f"{name}.perf"
    subprocess.run(
        [
            perf,
            "record",
            "-e",
            "cpu-clock",
            "-F",
            "999",
            "-a",
            "-g",
            "-o",
            str(data),
            "--",
            "sleep",
            str(seconds),
        ],
        check=False,
        capture_output=True,
    )
    by_program = _perf_report(perf, data, ["--sort", "comm"])
    symbols = _perf_report(
        perf, data, ["--comms", "postgres", "--percentage", "relative", "--sort", "sym"], limit=15
    )
    return {"by_program": by_program, "postgres_symbols": symbols}


_PERF_LINE = re.compile(r"^\s*(?P<share>\d+\.\d+)%\s+(?P<what>.+?)\s*$")


def _perf_report(
    perf: str, data: Path, sort: list[str], limit: int = 10
) -> list[tuple[str, float]]:
    done = subprocess.run(
        [perf, "report", "-i", str(data), "--no-children", "--stdio", "-g", "none", *sort],
        check=False,
        capture_output=True,
        text=True,
    )
    found: list[tuple[str, float]] = []
    for line in done.stdout.splitlines():
        match = _PERF_LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            found.append((match["what"], float(match["share"])))
    return found[:limit]


def profile_operation(
    work: Workload, operation: str, seconds: int, scratch: Path, perf: str | None
) -> dict[str, object]:
    work.api_run(operation, 8, 2)  # warm-up
    measured = work.api_run(operation, CONCURRENCY, seconds)
    say(f"{operation}: {measured.throughput:.0f}/s, {measured.cpu_ms:.3f} ms CPU per operation")
    pids = work.api.api_pids()
    load = _in_background(lambda: work.api_run(operation, CONCURRENCY, seconds + 2))
    counts = py_spy(pids, seconds, scratch)
    load.join()
    result: dict[str, object] = {
        "throughput": round(measured.throughput),
        "cpu_ms_per_op": measured.cpu_ms,
        "samples": sum(counts.values()),
        "idle_samples": counts[IDLE],
        "api_process": split_cpu(counts, measured.cpu_ms),
    }
    if perf is not None:
        load = _in_background(lambda: work.api_run(operation, CONCURRENCY, seconds + 2))
        result["machine_api_run"] = perf_record(perf, seconds, scratch, f"{operation}-api")
        load.join()
        load = _in_background(
            lambda: work.pgbench_run(operation, CONCURRENCY, seconds + 2, minimal=True)
        )
        result["machine_pgbench_minimal"] = perf_record(
            perf, seconds, scratch, f"{operation}-pgbench"
        )
        load.join()
    return result


def print_report(results: dict[str, dict[str, object]]) -> None:
    for operation, found in results.items():
        print(
            f"\n{operation}: {found['throughput']} ops/s at c={CONCURRENCY}, "
            f"{found['cpu_ms_per_op']} ms CPU per operation in the API processes, "
            f"{found['samples']} py-spy samples"
        )
        for row in found["api_process"]:  # type: ignore[attr-defined]
            print(f"  {row['share']:6.1%} {row['us_per_op']:7.1f} us  {row['part']}")
        for run in ("machine_api_run", "machine_pgbench_minimal"):
            machine = found.get(run)
            if not isinstance(machine, dict):
                continue
            print(f"  perf, {run.replace('_', ' ')}: CPU share per program")
            for what, share in machine["by_program"]:
                print(f"    {share:5.1f}%  {what}")
            print("  PostgreSQL's top symbols")
            for what, share in machine["postgres_symbols"]:
                print(f"    {share:5.1f}%  {what}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--ops", default="read,file", help="operations (default read,file)")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per recording")
    parser.add_argument("--no-perf", action="store_true", help="skip perf (py-spy only)")
    args = parser.parse_args(argv)
    if not PY_SPY.exists():
        raise SystemExit("bench: py-spy is missing; `make profile` installs it")
    ensure_wrk()
    perf = None if args.no_perf else ensure_perf()
    data_dir = REPO / ".data" / "bench"
    data_dir.mkdir(parents=True, exist_ok=True)
    admin_url = database.start(data_dir, None)
    results: dict[str, dict[str, object]] = {}
    try:
        db = database.create(admin_url, data_dir, 8765)
        accounts = seed.accounts(db.settings, db.url)
        asyncio.run(seed.seed_requests(db.url, accounts, 10_000, pools=True))
        api = server.start(db.env, 8765, 2, data_dir / "logs")
        try:
            with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
                work = Workload(db=db, api=api, accounts=accounts, scratch=Path(scratch))
                for operation in args.ops.split(","):
                    say(f"profiling {operation} ...")
                    results[operation] = profile_operation(
                        work, operation.strip(), args.seconds, Path(scratch), perf
                    )
        finally:
            api.stop()
    finally:
        database.stop_embedded(data_dir)
    print_report(results)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = ROOT / "results" / f"profile-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    say(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
