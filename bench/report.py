"""Measurements, the API/pgbench ratios, the printed table and the JSON file.

Two denominators per operation: pgbench on the API's own statements ("same SQL": what Python
and the framework cost) and on the least SQL for the same result ("minimal SQL": the physical
limit, so extra statements and round trips count against the API too). A third figure, the
bare stack ("bare": a minimal Litestar handler running the minimal SQL through an asyncpg pool,
bench/bare.py), shows the stack's own ceiling.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.options import REPO

LABELS = {
    "file": "file a request",
    "transition": "fire a transition",
    "read": "read by id",
    "queue": "list a queue page",
    "claim": "claim from a queue",
}
SIDES = ("api", "pgbench", "minimal", "bare")
# The ASGI server comparison (granian against uvicorn): the API and the bare stack again.
GRANIAN_SIDES = ("api-granian", "bare-granian")
# Targets (issue 20), at the highest concurrency: API over pgbench on the minimal SQL, and p99.
RATIO_TARGETS = {"file": 0.40, "transition": 0.35, "read": 0.20}
P99_TARGETS_MS = {"read": 25.0, "file": 60.0, "transition": 60.0}
SCALING_TARGET = 1.3
MEMORY_TARGET = 0.10
MIDDLEWARE_TARGET = 0.10  # of a read's CPU in the API process


@dataclass(frozen=True)
class Measurement:
    """One load run: throughput (successful operations per second) and latency."""

    operation: str
    side: str  # "api" or "pgbench"
    concurrency: int
    throughput: float
    p50_ms: float
    p99_ms: float
    operations: int
    errors: int = 0
    note: str = ""
    round: int = 1  # the round of a repeated measurement (rounds interleave the sides)
    # CPU (user + system) of the serving processes per successful operation, where known.
    cpu_ms: float = 0.0


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values) - 1e-9)))
    return sorted_values[rank - 1]


def ratio(api: Measurement | None, pgbench: Measurement | None) -> float | None:
    """API throughput as a fraction of pgbench's on the same SQL (None if either is missing)."""
    if api is None or pgbench is None or pgbench.throughput <= 0:
        return None
    return api.throughput / pgbench.throughput


@dataclass
class Results:
    machine: dict[str, object]
    options: dict[str, object]
    measurements: list[Measurement] = field(default_factory=list)
    scaling: list[dict[str, object]] = field(default_factory=list)
    memory: dict[str, object] = field(default_factory=dict)
    middleware: dict[str, object] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def runs(self, operation: str, side: str, concurrency: int) -> list[Measurement]:
        """Every round of one point, in the order measured."""
        return [
            m
            for m in self.measurements
            if (m.operation, m.side, m.concurrency) == (operation, side, concurrency)
        ]

    def find(self, operation: str, side: str, concurrency: int) -> Measurement | None:
        """One point over its rounds: the median throughput, p50 and p99 of the rounds."""
        runs = self.runs(operation, side, concurrency)
        if not runs:
            return None
        if len(runs) == 1:
            return runs[0]
        first = runs[0]
        return Measurement(
            operation,
            side,
            concurrency,
            statistics.median(m.throughput for m in runs),
            p50_ms=statistics.median(m.p50_ms for m in runs),
            p99_ms=statistics.median(m.p99_ms for m in runs),
            operations=sum(m.operations for m in runs),
            cpu_ms=statistics.median(m.cpu_ms for m in runs),
            errors=sum(m.errors for m in runs),
            note=first.note,
            round=0,
        )

    def round_ratios(
        self, operation: str, concurrency: int, denominator: str, numerator: str = "api"
    ) -> list[float]:
        """The ratio of each round: the two sides measured one after the other in that round."""
        found: list[float] = []
        for m in self.runs(operation, numerator, concurrency):
            for d in self.runs(operation, denominator, concurrency):
                value = ratio(m, d) if d.round == m.round else None
                if value is not None:
                    found.append(value)
        return found

    def ratio_summary(
        self, operation: str, concurrency: int, denominator: str, numerator: str = "api"
    ) -> dict[str, float] | None:
        """Median, lowest and highest of the rounds' ratios (None if a side is missing)."""
        values = self.round_ratios(operation, concurrency, denominator, numerator)
        if not values:
            return None
        return {
            "median": round(statistics.median(values), 3),
            "min": round(min(values), 3),
            "max": round(max(values), 3),
            "rounds": len(values),
        }

    def ratios(self, denominator: str = "pgbench") -> dict[str, dict[int, float | None]]:
        """API over ``denominator`` ("pgbench": same SQL, "minimal": minimal SQL, "bare"): the
        median of the rounds' ratios."""
        table: dict[str, dict[int, float | None]] = {}
        for m in self.measurements:
            if m.side == "api":
                summary = self.ratio_summary(m.operation, m.concurrency, denominator)
                table.setdefault(m.operation, {})[m.concurrency] = (
                    None if summary is None else summary["median"]
                )
        return table

    def spreads(self, denominator: str) -> dict[str, dict[str, dict[str, float]]]:
        """Per operation and concurrency, the ratio's median and its range over the rounds."""
        found: dict[str, dict[str, dict[str, float]]] = {}
        for m in self.measurements:
            if m.side == "api":
                summary = self.ratio_summary(m.operation, m.concurrency, denominator)
                if summary is not None:
                    found.setdefault(m.operation, {})[str(m.concurrency)] = summary
        return found

    def middleware_share(self) -> float | None:
        """The middleware's CPU per request over a read's CPU in the API process (at the
        highest concurrency), or None when either is missing."""
        top = max((m.concurrency for m in self.measurements), default=0)
        read = self.find("read", "api", top)
        cost = self.middleware.get("middleware_us")
        if read is None or read.cpu_ms <= 0 or not isinstance(cost, (int, float)):
            return None
        return float(cost) / (read.cpu_ms * 1000)

    def server_comparison(self) -> list[dict[str, object]]:
        """The API and the bare stack under granian against uvicorn, over the minimal SQL."""
        rows: list[dict[str, object]] = []
        for op in LABELS:
            for c in sorted({m.concurrency for m in self.measurements if m.operation == op}):
                granian = self.find(op, "api-granian", c)
                if granian is None:
                    continue
                row: dict[str, object] = {"operation": op, "concurrency": c}
                for side in ("api", "api-granian", "bare", "bare-granian"):
                    point = self.find(op, side, c)
                    row[side] = None if point is None else round(point.throughput)
                    summary = self.ratio_summary(op, c, "minimal", numerator=side)
                    row[f"{side}/minimal"] = None if summary is None else summary["median"]
                rows.append(row)
        return rows

    def to_json(self) -> dict[str, object]:
        return {
            "started_at": self.started_at,
            "machine": self.machine,
            "options": self.options,
            "measurements": [asdict(m) for m in self.measurements],
            "ratios": {
                op: {str(c): r for c, r in by_c.items()} for op, by_c in self.ratios().items()
            },
            "ratios_minimal_sql": {
                op: {str(c): r for c, r in by_c.items()}
                for op, by_c in self.ratios("minimal").items()
            },
            "spread": {side: self.spreads(side) for side in ("pgbench", "minimal", "bare")},
            "asgi_servers": self.server_comparison(),
            "scaling": self.scaling,
            "memory": self.memory,
            "middleware": {**self.middleware, "share_of_a_read": self.middleware_share()},
            "targets": self.targets(),
        }

    def targets(self) -> list[dict[str, object]]:
        """Each target of the issue with the measured value and whether it is met."""
        checks: list[dict[str, object]] = []
        top = max((m.concurrency for m in self.measurements), default=0)
        for op, minimum in RATIO_TARGETS.items():
            summary = self.ratio_summary(op, top, "minimal")
            if summary is not None:
                checks.append(
                    _check(
                        f"{op}: API/pgbench minimal SQL at c={top} >= {minimum}",
                        summary["median"],
                        minimum,
                    )
                )
        for op, bound in P99_TARGETS_MS.items():
            point = self.find(op, "api", top)
            if point is not None:
                checks.append(
                    _check(
                        f"{op}: p99 at c={top} <= {bound:g} ms", point.p99_ms, bound, at_most=True
                    )
                )
        for row in self.scaling:
            if row.get("side") == "api":
                checks.append(
                    _check(
                        f"{row['operation']}: cost at large / small <= {SCALING_TARGET}",
                        float(str(row["cost_ratio"])),
                        SCALING_TARGET,
                        at_most=True,
                    )
                )
        share = self.middleware_share()
        if share is not None:
            checks.append(
                _check(
                    f"middleware <= {MIDDLEWARE_TARGET:.0%} of a read's CPU in the API process",
                    share,
                    MIDDLEWARE_TARGET,
                    at_most=True,
                )
            )
        if self.memory:
            checks.append(
                _check(
                    f"memory drift of one API process <= {MEMORY_TARGET:.0%}",
                    float(str(self.memory["drift"])),
                    MEMORY_TARGET,
                    at_most=True,
                )
            )
        return checks


def _check(name: str, value: float, bound: float, *, at_most: bool = False) -> dict[str, object]:
    met = value <= bound if at_most else value >= bound
    return {"target": name, "value": round(value, 3), "met": met}


def machine() -> dict[str, object]:
    """Where the figures come from: CPU model, cores, memory, OS, PostgreSQL, git commit."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kib = 0
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "commit": commit,
    }


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _side(m: Measurement | None, width: int) -> str:
    if m is None:
        return f"{'-':>{width}} {'-':>7} {'-':>7}"
    return f"{m.throughput:>{width}.0f} {m.p50_ms:>7.2f} {m.p99_ms:>7.2f}"


def _median(results: Results, op: str, c: int, denominator: str, numerator: str = "api") -> str:
    summary = results.ratio_summary(op, c, denominator, numerator)
    return _fmt(None if summary is None else summary["median"])


def _spread(results: Results, op: str, c: int, denominator: str) -> str:
    summary = results.ratio_summary(op, c, denominator)
    if summary is None or summary["rounds"] < 2:
        return ""
    return f"{summary['min']:.2f}-{summary['max']:.2f} ({summary['rounds']:.0f} rounds)"


def table(results: Results) -> str:
    """The one table: per operation and concurrency, the API, pgbench on the same SQL and on
    the minimal SQL, and the bare stack, side by side with the API's ratios to each (medians
    over the rounds, with the range of the minimal-SQL ratio)."""
    header = (
        f"{'operation':<20} {'c':>3} | {'API ops/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'CPU ms':>6} | "
        f"{'same SQL tps':>12} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'min. SQL tps':>12} {'p50 ms':>7} {'p99 ms':>7} | {'bare ops/s':>10} | "
        f"{'/same':>5} {'/min.':>5} {'/bare':>5}  /min. range"
    )
    lines = [header, "-" * len(header)]
    seen: list[tuple[str, int]] = []
    for m in results.measurements:
        key = (m.operation, m.concurrency)
        if m.side in SIDES and key not in seen:
            seen.append(key)
    for op, c in seen:
        api = results.find(op, "api", c)
        pg = results.find(op, "pgbench", c)
        least = results.find(op, "minimal", c)
        bare = results.find(op, "bare", c)
        lines.append(
            f"{LABELS.get(op, op):<20} {c:>3} | {_side(api, 9)} "
            f"{_fmt(api.cpu_ms if api and api.cpu_ms else None):>6} | {_side(pg, 12)} | "
            f"{_side(least, 12)} | {_fmt(bare.throughput if bare else None, 0):>10} | "
            f"{_median(results, op, c, 'pgbench'):>5} {_median(results, op, c, 'minimal'):>5} "
            f"{_median(results, op, c, 'bare'):>5}  {_spread(results, op, c, 'minimal')}".rstrip()
        )
    for row in results.server_comparison():
        op, c = str(row["operation"]), int(str(row["concurrency"]))
        lines.append(
            f"ASGI server, {LABELS.get(op, op)} c={c}: API uvicorn {row['api']} ops/s "
            f"({_median(results, op, c, 'minimal')}), granian {row['api-granian']} ops/s "
            f"({_median(results, op, c, 'minimal', 'api-granian')}); bare uvicorn "
            f"{row['bare']}, granian {row['bare-granian']} (ratios to the minimal SQL)"
        )
    for row in results.scaling:
        lines.append(
            f"scaling {row['side']:<8} {row['operation']:<10}: {row['small_rows']:>9} rows "
            f"{row['small_ms']:.2f} ms/op, {row['large_rows']:>9} rows {row['large_ms']:.2f} "
            f"ms/op, cost ratio {row['cost_ratio']:.2f}"
        )
    if results.memory:
        mem = results.memory
        lines.append(
            f"memory of one API process over {mem['seconds']} s: {mem['first_mib']} MiB -> "
            f"{mem['last_mib']} MiB (max {mem['max_mib']} MiB), drift {mem['drift']:.1%}"
        )
    share = results.middleware_share()
    if share is not None:
        mw = results.middleware
        lines.append(
            f"middleware: {mw['middleware_us']} us of CPU per request (request id, metrics in "
            f"multiprocess mode, access log off), {share:.1%} of a read's CPU in the API process"
        )
    for check in results.targets():
        lines.append(f"[{'met' if check['met'] else 'MISSED'}] {check['target']}: {check['value']}")
    return "\n".join(lines)


def write(results: Results, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"bench-{stamp}.json"
    text = json.dumps(results.to_json(), indent=2)
    path.write_text(text + "\n")
    (directory / "latest.json").write_text(text + "\n")
    return path
