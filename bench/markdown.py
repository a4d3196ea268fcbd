"""``python -m bench.markdown [results.json]``: a results file as the README's Performance table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.options import ROOT
from bench.report import LABELS


def _f(value: object, digits: int = 1) -> str:
    return "-" if value is None else f"{float(str(value)):.{digits}f}"


def render(data: dict[str, object]) -> str:
    machine = data["machine"]
    assert isinstance(machine, dict)
    options = data["options"]
    assert isinstance(options, dict)
    rows = data["measurements"]
    assert isinstance(rows, list)
    by_key = {(m["operation"], m["side"], m["concurrency"]): m for m in rows}
    lines = [
        f"Run of {str(data['started_at'])[:16].replace('T', ' ')} UTC on {machine.get('cpu')}, "
        f"{machine.get('cores')} cores, {machine.get('memory_gib')} GiB, {machine.get('os')}, "
        f"PostgreSQL {machine.get('postgres')}, Python {machine.get('python')}, commit "
        f"{machine.get('commit') or '?'}; {options.get('api_workers')} API processes "
        "(`serve --processes`), "
        f"{options.get('duration')} s per point"
        + (f" ({options['label']})" if options.get("label") else "")
        + ".",
        "",
        "| operation | c | API ops/s | API p50 ms | API p99 ms | pgbench same SQL tps "
        "| pgbench minimal SQL tps | bare stack ops/s | API/same SQL | API/minimal SQL "
        "| API/bare |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    seen: list[tuple[str, int]] = []
    for m in rows:
        if (m["operation"], m["concurrency"]) not in seen:
            seen.append((m["operation"], m["concurrency"]))
    for op, c in seen:
        api = by_key.get((op, "api", c), {})
        others = [by_key.get((op, side, c), {}) for side in ("pgbench", "minimal", "bare")]
        shares = [
            api["throughput"] / o["throughput"] if api and o and o["throughput"] else None
            for o in others
        ]
        lines.append(
            f"| {LABELS.get(op, op)} | {c} | {_f(api.get('throughput'), 0)} | "
            f"{_f(api.get('p50_ms'))} | {_f(api.get('p99_ms'))} | "
            + " | ".join(_f(o.get("throughput"), 0) for o in others)
            + " | "
            + " | ".join(_f(s, 2) for s in shares)
            + " |"
        )
    scaling = data.get("scaling") or []
    assert isinstance(scaling, list)
    if scaling:
        lines += [
            "",
            "| scaling (c=8) | side | ms/op at small | ms/op at large | cost ratio |",
            "|---|---|--:|--:|--:|",
        ]
        for row in scaling:
            lines.append(
                f"| {row['operation']} {row['small_rows']:,} → {row['large_rows']:,} rows | "
                f"{row['side']} | {_f(row['small_ms'], 2)} | {_f(row['large_ms'], 2)} | "
                f"{_f(row['cost_ratio'], 2)} |"
            )
    memory = data.get("memory")
    if isinstance(memory, dict) and memory:
        lines += [
            "",
            f"Memory of one API process over {memory['seconds']:.0f} s of mixed load: "
            f"{memory['first_mib']} MiB → {memory['last_mib']} MiB (max {memory['max_mib']} MiB),"
            f" drift {float(memory['drift']):+.1%}.",
        ]
    targets = data.get("targets") or []
    assert isinstance(targets, list)
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
