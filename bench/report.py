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
# Targets (issue 20), at the highest concurrency: API over pgbench on the minimal SQL, and p99.
RATIO_TARGETS = {"file": 0.40, "transition": 0.35, "read": 0.20}
P99_TARGETS_MS = {"read": 25.0, "file": 60.0, "transition": 60.0}
SCALING_TARGET = 1.3
MEMORY_TARGET = 0.10


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
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def find(self, operation: str, side: str, concurrency: int) -> Measurement | None:
        for m in self.measurements:
            if (m.operation, m.side, m.concurrency) == (operation, side, concurrency):
                return m
        return None

    def ratios(self, denominator: str = "pgbench") -> dict[str, dict[int, float | None]]:
        """API over ``denominator`` ("pgbench": same SQL, "minimal": minimal SQL, "bare")."""
        table: dict[str, dict[int, float | None]] = {}
        for m in self.measurements:
            if m.side == "api":
                found = self.find(m.operation, denominator, m.concurrency)
                table.setdefault(m.operation, {})[m.concurrency] = ratio(m, found)
        return table

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
            "scaling": self.scaling,
            "memory": self.memory,
            "targets": self.targets(),
        }

    def targets(self) -> list[dict[str, object]]:
        """Each target of the issue with the measured value and whether it is met."""
        checks: list[dict[str, object]] = []
        top = max((m.concurrency for m in self.measurements), default=0)
        for op, minimum in RATIO_TARGETS.items():
            value = ratio(self.find(op, "api", top), self.find(op, "minimal", top))
            if value is not None:
                checks.append(
                    _check(f"{op}: API/pgbench minimal SQL at c={top} >= {minimum}", value, minimum)
                )
        for m in self.measurements:
            bound = P99_TARGETS_MS.get(m.operation)
            if m.side == "api" and m.concurrency == top and bound is not None:
                checks.append(
                    _check(
                        f"{m.operation}: p99 at c={top} <= {bound:g} ms",
                        m.p99_ms,
                        bound,
                        at_most=True,
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


def table(results: Results) -> str:
    """The one table: per operation and concurrency, the API, pgbench on the same SQL and on
    the minimal SQL, and the bare stack, side by side with the API's ratios to each."""
    header = (
        f"{'operation':<20} {'c':>3} | {'API ops/s':>9} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'same SQL tps':>12} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'min. SQL tps':>12} {'p50 ms':>7} {'p99 ms':>7} | {'bare ops/s':>10} | "
        f"{'/same':>5} {'/min.':>5} {'/bare':>5}"
    )
    lines = [header, "-" * len(header)]
    seen: list[tuple[str, int]] = []
    for m in results.measurements:
        key = (m.operation, m.concurrency)
        if key not in seen:
            seen.append(key)
    for op, c in seen:
        api = results.find(op, "api", c)
        pg = results.find(op, "pgbench", c)
        least = results.find(op, "minimal", c)
        bare = results.find(op, "bare", c)
        lines.append(
            f"{LABELS.get(op, op):<20} {c:>3} | {_side(api, 9)} | {_side(pg, 12)} | "
            f"{_side(least, 12)} | {_fmt(bare.throughput if bare else None, 0):>10} | "
            f"{_fmt(ratio(api, pg)):>5} {_fmt(ratio(api, least)):>5} {_fmt(ratio(api, bare)):>5}"
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
