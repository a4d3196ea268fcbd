"""``python -m bench.markdown [results.json]``: a results file as docs/performance.md's tables."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.options import ROOT
from bench.report import LABELS, SIDES, Measurement, Results


def _f(value: object, digits: int = 1) -> str:
    return "-" if value is None else f"{float(str(value)):.{digits}f}"


def results_from(data: dict[str, Any]) -> Results:
    """The JSON a run wrote, back as Results (medians and spreads are recomputed)."""
    results = Results(machine=data["machine"], options=data["options"])
    results.measurements = [Measurement(**m) for m in data["measurements"]]
    results.scaling = data.get("scaling") or []
    results.memory = data.get("memory") or {}
    middleware = dict(data.get("middleware") or {})
    middleware.pop("share_of_a_read", None)
    results.middleware = middleware
    results.started_at = data["started_at"]
    return results


def _ratio(results: Results, op: str, c: int, denominator: str, numerator: str = "api") -> str:
    summary = results.ratio_summary(op, c, denominator, numerator)
    if summary is None:
        return "-"
    if summary["rounds"] < 2:
        return f"{summary['median']:.2f}"
    return f"{summary['median']:.2f} ({summary['min']:.2f} to {summary['max']:.2f})"


def render(data: dict[str, Any]) -> str:
    results = results_from(data)
    machine, options = results.machine, results.options
    lines = [
        f"Run of {results.started_at[:16].replace('T', ' ')} UTC on {machine.get('cpu')}, "
        f"{machine.get('cores')} cores, {machine.get('memory_gib')} GiB, {machine.get('os')}, "
        f"PostgreSQL {machine.get('postgres')}, Python {machine.get('python')}, commit "
        f"{machine.get('commit') or '?'}; {options.get('api_workers')} API processes "
        f"(`serve --processes`), {options.get('duration')} s per point, "
        f"{options.get('rounds', 1)} rounds at the highest concurrency"
        + (f" ({options['label']})" if options.get("label") else "")
        + ". Throughput, latency and CPU are medians over the rounds; ratios are the median of "
        "the rounds' ratios with their range.",
        "",
        "| operation | c | API ops/s | API p50 ms | API p99 ms | API CPU ms/op "
        "| pgbench same SQL tps | pgbench minimal SQL tps | bare stack ops/s "
        "| API/same SQL | API/minimal SQL | API/bare |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    seen: list[tuple[str, int]] = []
    for m in results.measurements:
        if m.side in SIDES and (m.operation, m.concurrency) not in seen:
            seen.append((m.operation, m.concurrency))
    for op, c in seen:
        api = results.find(op, "api", c)
        others = [results.find(op, side, c) for side in ("pgbench", "minimal", "bare")]
        lines.append(
            f"| {LABELS.get(op, op)} | {c} | {_f(api and api.throughput, 0)} | "
            f"{_f(api and api.p50_ms)} | {_f(api and api.p99_ms)} | "
            f"{_f(api.cpu_ms if api and api.cpu_ms else None, 2)} | "
            + " | ".join(_f(o and o.throughput, 0) for o in others)
            + " | "
            + " | ".join(_ratio(results, op, c, side) for side in ("pgbench", "minimal", "bare"))
            + " |"
        )
    servers = results.server_comparison()
    if servers:
        lines += [
            "",
            "| ASGI server (c=32) | API uvicorn ops/s | API granian ops/s | bare uvicorn ops/s "
            "| bare granian ops/s | API uvicorn/minimal | API granian/minimal |",
            "|---|--:|--:|--:|--:|--:|--:|",
        ]
        for row in servers:
            op, c = str(row["operation"]), int(str(row["concurrency"]))
            lines.append(
                f"| {LABELS.get(op, op)} | {row['api']} | {row['api-granian']} | {row['bare']} "
                f"| {row['bare-granian']} | {_ratio(results, op, c, 'minimal')} "
                f"| {_ratio(results, op, c, 'minimal', 'api-granian')} |"
            )
    if results.scaling:
        lines += [
            "",
            "| scaling (c=8) | side | ms/op at small | ms/op at large | cost ratio |",
            "|---|---|--:|--:|--:|",
        ]
        for row in results.scaling:
            lines.append(
                f"| {row['operation']} {row['small_rows']:,} → {row['large_rows']:,} rows | "
                f"{row['side']} | {_f(row['small_ms'], 2)} | {_f(row['large_ms'], 2)} | "
                f"{_f(row['cost_ratio'], 2)} |"
            )
    memory = results.memory
    if memory:
        lines += [
            "",
            f"Memory of one API process over {float(str(memory['seconds'])):.0f} s of mixed "
            f"load: {memory['first_mib']} MiB → {memory['last_mib']} MiB (max "
            f"{memory['max_mib']} MiB), drift {float(str(memory['drift'])):+.1%}.",
        ]
    share = results.middleware_share()
    if share is not None:
        lines += [
            "",
            f"Middleware (request id, metrics in multiprocess mode, access log off): "
            f"{results.middleware['middleware_us']} µs of CPU per request, {share:.1%} of a "
            "read's CPU in the API process.",
        ]
    targets = results.targets()
    if targets:
        lines += ["", "| target | measured | met |", "|---|--:|---|"]
        for t in targets:
            lines.append(f"| {t['target']} | {t['value']} | {'yes' if t['met'] else 'no'} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else ROOT / "results" / "latest.json"
    print(render(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
