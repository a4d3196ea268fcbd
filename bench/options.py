"""What one bench run does: operations, concurrencies, durations, sizes."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

OPERATIONS = ("file", "transition", "read", "queue", "claim")
ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent


@dataclass(frozen=True)
class Options:
    """A bench run's settings (see ``python -m bench.run --help``)."""

    operations: tuple[str, ...] = OPERATIONS
    concurrencies: tuple[int, ...] = (1, 32)
    duration: float = 6.0
    warmup: float = 2.0
    # The highest concurrency (where the targets are) is measured in this many rounds, each
    # round running every side of every operation once, so noise lands on all sides alike.
    rounds: int = 3
    granian: bool = True
    api_workers: int = 2
    scaling: bool = True
    scaling_small: int = 10_000
    scaling_large: int = 1_000_000
    scaling_duration: float = 6.0
    memory: bool = True
    memory_duration: float = 60.0
    data_dir: Path = field(default_factory=lambda: REPO / ".data" / "bench")
    results_dir: Path = ROOT / "results"
    database_url: str | None = None
    port: int = 8765
    label: str = ""


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Benchmark the eservice API against pgbench on the equivalent SQL.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs, one round, 100k scaling, ~4 min"
    )
    parser.add_argument("--ops", help=f"comma-separated subset of {','.join(OPERATIONS)}")
    parser.add_argument("--concurrency", help="comma-separated client counts (default 1,32)")
    parser.add_argument("--duration", type=float, help="seconds per measurement (default 6)")
    parser.add_argument(
        "--rounds", type=int, help="rounds at the highest concurrency (default 3; --quick: 1)"
    )
    parser.add_argument(
        "--no-granian",
        action="store_true",
        help="skip the ASGI server comparison (the API and the bare stack under granian)",
    )
    parser.add_argument(
        "--api-workers",
        type=int,
        help="API processes, as in `eservice serve --processes` (default 2)",
    )
    parser.add_argument("--no-scaling", action="store_true", help="skip the 10k vs 1M run")
    parser.add_argument("--scaling-large", type=int, help="rows in the large scaling run")
    parser.add_argument("--no-memory", action="store_true", help="skip the 60 s memory run")
    parser.add_argument("--memory-duration", type=float, help="seconds of the memory run")
    parser.add_argument(
        "--database-url",
        help="an existing PostgreSQL server's URL (admin rights; a database eservice_bench is "
        "created there and dropped); default: embedded PostgreSQL under .data/bench",
    )
    parser.add_argument("--port", type=int, help="API port (default 8765)")
    parser.add_argument("--label", default="", help="a note stored with the results")
    args = parser.parse_args(argv)
    opts = Options()
    values: dict[str, object] = {"label": args.label}
    if args.quick:
        values.update(
            duration=4.0,
            warmup=1.0,
            scaling_large=100_000,
            scaling_duration=3.0,
            memory_duration=20.0,
            rounds=1,
        )
    if args.ops:
        chosen = tuple(op.strip() for op in args.ops.split(",") if op.strip())
        unknown = [op for op in chosen if op not in OPERATIONS]
        if unknown:
            parser.error(f"unknown operation(s): {', '.join(unknown)}")
        values["operations"] = chosen
    if args.concurrency:
        values["concurrencies"] = tuple(int(c) for c in args.concurrency.split(","))
    if args.duration:
        values["duration"] = args.duration
    if args.rounds:
        values["rounds"] = max(1, args.rounds)
    if args.no_granian:
        values["granian"] = False
    if args.api_workers:
        values["api_workers"] = args.api_workers
    if args.no_scaling:
        values["scaling"] = False
    if args.scaling_large:
        values["scaling_large"] = args.scaling_large
    if args.no_memory:
        values["memory"] = False
    if args.memory_duration:
        values["memory_duration"] = args.memory_duration
    if args.database_url:
        values["database_url"] = args.database_url
    if args.port:
        values["port"] = args.port
    return Options(**{**opts.__dict__, **values})
