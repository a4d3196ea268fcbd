"""Running the two load generators: wrk (Lua scripts) against the API, pgbench against SQL."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.database import pg_bin, say
from bench.options import ROOT
from bench.report import Measurement, percentile

LUA = ROOT / "lua"
SQL = ROOT / "sql"


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get when missing and possible, else a clear exit."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        say("wrk is missing; installing it with apt-get ...")
        subprocess.run([apt, "install", "-y", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(
        "bench: wrk (https://github.com/wg/wrk) is needed and could not be installed. "
        "Install it (Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install wrk) and rerun."
    )


def threads_for(concurrency: int) -> int:
    return max(1, min(concurrency, 2, os.cpu_count() or 1))


def parse_wrk(output: str) -> dict[str, float]:
    """The JSON line our Lua ``done`` prints."""
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            parsed: dict[str, float] = json.loads(line.removeprefix("BENCH_JSON "))
            return parsed
    raise RuntimeError("wrk printed no BENCH_JSON line:\n" + output[-2000:])


def run_wrk(
    operation: str,
    base_url: str,
    *,
    concurrency: int,
    duration: float,
    token: str,
    pool: Path | None = None,
) -> Measurement:
    """Drive one operation at ``concurrency`` connections for ``duration`` seconds."""
    threads = threads_for(concurrency)
    env = dict(os.environ)
    env.update(BENCH_TOKEN=token, BENCH_LIB=str(LUA), BENCH_THREADS=str(threads))
    if pool is not None:
        env["BENCH_POOL"] = str(pool)
    command = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / f"{operation}.lua"),
        base_url,
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}")
    data = parse_wrk(done.stdout)
    seconds = data["duration_us"] / 1e6
    good = data["ok"] + data["empty"]
    return Measurement(
        operation=operation,
        side="api",
        concurrency=concurrency,
        throughput=good / seconds if seconds else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        operations=int(good),
        errors=int(data["bad"] + data["socket_errors"]),
        note=f"{int(data['empty'])} empty (204)" if data["empty"] else "",
    )


_TPS = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")
_FAILED = re.compile(r"number of failed transactions: (\d+)")


def pgbench_latencies(log_dir: Path) -> list[float]:
    """Per-transaction latencies (ms) from pgbench's ``-l`` logs (4th field, microseconds)."""
    values: list[float] = []
    for path in log_dir.glob("pgbench_log*"):
        for line in path.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                values.append(int(fields[2]) / 1000)
    values.sort()
    return values


def run_pgbench(
    operation: str,
    url: str,
    *,
    concurrency: int,
    duration: float,
    variables: dict[str, str],
    minimal: bool = False,
) -> Measurement:
    """pgbench on ``sql/<operation>.sql`` (the API's own statements) or, with ``minimal``, on
    ``sql/minimal/<operation>.sql`` (the least SQL for the same result); prepared statements,
    like asyncpg."""
    script = SQL / "minimal" / f"{operation}.sql" if minimal else SQL / f"{operation}.sql"
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as tmp:
        command = [
            pg_bin("pgbench"),
            "-n",
            "-M",
            "prepared",
            "-c",
            str(concurrency),
            "-j",
            str(threads_for(concurrency)),
            "-T",
            str(max(1, round(duration))),
            "-l",
            "--log-prefix",
            str(Path(tmp) / "pgbench_log"),
            "-f",
            str(script),
        ]
        for name, value in variables.items():
            command += ["-D", f"{name}={value}"]
        command.append(url)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr[-3000:]}")
        latencies = pgbench_latencies(Path(tmp))
    match = _TPS.search(done.stdout)
    failed = _FAILED.search(done.stdout)
    return Measurement(
        operation=operation,
        side="minimal" if minimal else "pgbench",
        concurrency=concurrency,
        throughput=float(match.group(1)) if match else 0.0,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        operations=len(latencies),
        errors=int(failed.group(1)) if failed else 0,
    )
