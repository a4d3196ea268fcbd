"""``python -m bench.run`` (``make bench``): the whole benchmark in one run.

1. PostgreSQL (embedded unless --database-url), a fresh ``eservice_bench`` database, migrated,
   catalogue published, a citizen and a clerk, 10k requests plus the transition and read pools.
2. The API as in production (uvicorn, access log off, ``eservice worker`` running).
3. Per operation and concurrency: wrk against the API, pgbench on the same SQL and on the
   minimal SQL, and (read, file) wrk against the bare stack (bench/bare.py); the highest
   concurrency in several rounds, each round measuring every side once.
4. Scaling: queue list and claim at 10k (before 3, on a warm API) and at 1M requests (c=8).
   At the highest concurrency, read and file are also measured with the API and the bare
   stack under granian (the ASGI server comparison), in the same rounds.
5. Memory: RSS of each API process over a 60 s mixed run.
6. One table on stdout; JSON under bench/results/.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bench import database, memory, report, seed, server
from bench.database import plain, say
from bench.loadgen import ensure_wrk
from bench.options import Options, parse
from bench.workload import Workload

SCALING_OPERATIONS = ("queue", "claim")
BARE_OPERATIONS = ("read", "file")
SCALING_CONCURRENCY = 8


@dataclass
class Servers:
    """What wrk measures besides the API under uvicorn (``Workload.api``): the bare stack, and
    for the ASGI server comparison the API and the bare stack under granian."""

    bare: server.Bare
    granian: server.Api | None = None
    granian_bare: server.Bare | None = None

    def stop(self) -> None:
        for running in (self.granian_bare, self.granian, self.bare):
            if running is not None:
                running.stop()


def measure(work: Workload, opts: Options, results: report.Results, servers: Servers) -> None:
    """Every side of every operation at every concurrency; the highest concurrency in
    ``opts.rounds`` rounds, each measuring every side of every operation once (the granian
    sides, for read and file, only there)."""
    top = max(opts.concurrencies)
    warmed: set[str] = set()
    for concurrency in opts.concurrencies:
        rounds = opts.rounds if concurrency == top else 1
        sides = report.SIDES + (report.GRANIAN_SIDES if concurrency == top else ())
        for number in range(1, rounds + 1):
            for operation in opts.operations:
                if opts.warmup and operation not in warmed:
                    warmed.add(operation)
                    for side in sides:
                        if side not in ("pgbench", "minimal"):
                            _measure_side(work, servers, operation, side, 8, opts.warmup)
                for side in sides:
                    m = _measure_side(work, servers, operation, side, concurrency, opts.duration)
                    if m is None:
                        continue
                    m = replace(m, round=number)
                    results.measurements.append(m)
                    say(
                        f"{operation:<10} c={concurrency:<3} {m.side:<12} {m.throughput:8.0f}/s "
                        f"p50 {m.p50_ms:6.2f} ms  p99 {m.p99_ms:6.2f} ms"
                        + (f"  round {number}/{rounds}" if rounds > 1 else "")
                        + (f"  errors {m.errors}" if m.errors else "")
                        + (f"  {m.note}" if m.note else "")
                    )


def _measure_side(  # noqa: PLR0917 - one point: where, what, how hard, how long
    work: Workload,
    servers: Servers,
    operation: str,
    side: str,
    concurrency: int,
    duration: float,
) -> report.Measurement | None:
    """One measurement of ``side``; None where the side does not do this operation."""
    if side in ("pgbench", "minimal"):
        return work.pgbench_run(operation, concurrency, duration, minimal=side == "minimal")
    if side == "api":
        return work.api_run(operation, concurrency, duration)
    if operation not in BARE_OPERATIONS:
        return None
    if side == "api-granian":
        if servers.granian is None:
            return None
        m = replace(work, api=servers.granian).api_run(operation, concurrency, duration)
        return replace(m, side=side)
    bare = servers.bare if side == "bare" else servers.granian_bare
    if bare is None:
        return None
    return replace(work.bare_run(bare.base_url, operation, concurrency, duration), side=side)


def start_servers(work: Workload, opts: Options) -> Servers:
    """The bare stack under uvicorn, and (for the comparison) the API and the bare stack under
    granian on the next ports, all running at once so that every round measures each."""
    logs = opts.data_dir / "logs"
    env = {
        **work.db.env,
        "BENCH_BARE_DSN": plain(work.db.url),
        "BENCH_BARE_CITIZEN": str(work.accounts.citizen_id),
    }
    servers = Servers(bare=server.start_bare(env, opts.port + 1, opts.api_workers, logs))
    if not opts.granian:
        return servers
    if not server.granian_available():
        say("granian is not installed (make bench installs it): no ASGI server comparison")
        return servers
    try:
        servers.granian = server.start(
            work.db.env, opts.port + 2, opts.api_workers, logs, asgi="granian", worker=False
        )
        servers.granian_bare = server.start_bare(
            env, opts.port + 3, opts.api_workers, logs, asgi="granian"
        )
    except BaseException:
        servers.stop()
        raise
    return servers


def scaling_point(work: Workload, opts: Options, rows: int) -> dict[str, report.Measurement]:
    """Both operations on both sides, each after the same warm-up (at the large point it also
    lets the seeding's writes settle: pgbench's claims measured 1.5 ms/op right after growing
    the table to 1M and 1.0 ms/op when measured again later, vacuumed or not)."""
    found: dict[str, report.Measurement] = {}
    for operation in SCALING_OPERATIONS:
        if opts.warmup:
            work.api_run(operation, SCALING_CONCURRENCY, opts.warmup)
            work.pgbench_run(operation, SCALING_CONCURRENCY, opts.warmup)
        for side in ("api", "pgbench"):
            run = work.api_run if side == "api" else work.pgbench_run
            m = run(operation, SCALING_CONCURRENCY, opts.scaling_duration)
            found[f"{operation}/{side}"] = m
            say(f"scaling {rows:>9} rows {operation:<6} {side:<7} {m.throughput:8.0f}/s")
    return found


def scaling_rows(
    small: dict[str, report.Measurement],
    large: dict[str, report.Measurement],
    small_rows: int,
    large_rows: int,
) -> list[dict[str, object]]:
    """Cost per operation (1/throughput at c=8) at the large size over the small size."""
    rows: list[dict[str, object]] = []
    for key, before in small.items():
        after = large[key]
        operation, side = key.split("/")
        small_ms = 1000 / before.throughput if before.throughput else 0.0
        large_ms = 1000 / after.throughput if after.throughput else 0.0
        rows.append(
            {
                "operation": operation,
                "side": side,
                "concurrency": SCALING_CONCURRENCY,
                "small_rows": small_rows,
                "large_rows": large_rows,
                "small_ms": round(small_ms, 3),
                "large_ms": round(large_ms, 3),
                "small_p50_ms": before.p50_ms,
                "large_p50_ms": after.p50_ms,
                "cost_ratio": round(large_ms / small_ms, 3) if small_ms else 0.0,
            }
        )
    return rows


def memory_run(work: Workload, seconds: float) -> dict[str, object]:
    """File, read and list at once for ``seconds`` while sampling the API processes' RSS."""
    say(f"memory: {seconds:.0f} s of mixed load, sampling RSS once a second ...")
    with memory.Sampler(work.api) as sampler:
        threads = [
            threading.Thread(target=work.api_run, args=(op, 4, seconds))
            for op in ("file", "read", "queue")
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return memory.summarise(sampler, seconds)


def middleware_cost() -> dict[str, object]:
    """The middleware's CPU per request (bench/middleware.py), in a process of its own."""
    say("middleware: CPU per request with and without it ...")
    done = subprocess.run(
        [sys.executable, "-m", "bench.middleware", "--multiprocess"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    found: dict[str, object] = json.loads(done.stdout)
    return found


def run_all(opts: Options, admin_url: str) -> report.Results:
    """Everything between starting PostgreSQL and printing the table."""
    db = database.create(admin_url, opts.data_dir, opts.port)
    accounts = seed.accounts(db.settings, db.url)
    say(f"seeding {opts.scaling_small} requests and the pools ...")
    asyncio.run(seed.seed_requests(db.url, accounts, opts.scaling_small, pools=True))
    results = report.Results(
        machine=report.machine(),
        options={k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(opts).items()},
    )
    results.machine["postgres"] = str(asyncio.run(database.fetchval(db.url, "SHOW server_version")))
    results.options["db_pool_size"] = db.settings.db_pool_size
    results.options["db_max_overflow"] = db.settings.db_max_overflow
    api = server.start(db.env, opts.port, opts.api_workers, opts.data_dir / "logs")
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Workload(db=db, api=api, accounts=accounts, scratch=Path(scratch))
        try:
            servers = start_servers(work, opts)
        except BaseException:
            api.stop()
            raise
        try:
            small: dict[str, report.Measurement] = {}
            if opts.scaling:
                small = scaling_point(work, opts, opts.scaling_small)
            measure(work, opts, results, servers)
            servers.stop()
            if opts.scaling:
                say(f"growing to {opts.scaling_large} requests ...")
                t0 = time.monotonic()
                asyncio.run(seed.seed_requests(db.url, accounts, opts.scaling_large, pools=False))
                say(f"seeded in {time.monotonic() - t0:.0f} s")
                large = scaling_point(work, opts, opts.scaling_large)
                results.scaling = scaling_rows(small, large, opts.scaling_small, opts.scaling_large)
            if opts.memory:
                results.memory = memory_run(work, opts.memory_duration)
            results.middleware = middleware_cost()
        finally:
            servers.stop()
            api.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    ensure_wrk()
    started = time.monotonic()
    opts.data_dir.mkdir(parents=True, exist_ok=True)
    admin_url = database.start(opts.data_dir, opts.database_url)
    try:
        results = run_all(opts, admin_url)
    finally:
        if opts.database_url is None:
            database.stop_embedded(opts.data_dir)
    results.options["wall_seconds"] = round(time.monotonic() - started)
    print(report.table(results))
    path = report.write(results, opts.results_dir)
    say(f"results written to {path} ({time.monotonic() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        sys.exit(f"bench: {exc}")
