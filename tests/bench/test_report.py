"""The bench's arithmetic and parsing: ratios, percentiles, targets, tool output, options."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from bench.loadgen import parse_wrk, pgbench_latencies
from bench.report import Measurement, Results, percentile, ratio, table

from bench import memory, options


def _m(op: str, side: str, c: int, tps: float, p99: float = 5.0) -> Measurement:
    return Measurement(op, side, c, tps, p50_ms=1.0, p99_ms=p99, operations=int(tps))


def test_ratio_is_api_throughput_over_pgbench_throughput() -> None:
    assert ratio(_m("read", "api", 32, 400), _m("read", "pgbench", 32, 1000)) == pytest.approx(0.4)
    assert ratio(_m("read", "api", 32, 400), None) is None
    assert ratio(_m("read", "api", 32, 400), _m("read", "pgbench", 32, 0)) is None


def test_table_shows_every_side_and_the_ratios_per_operation_and_concurrency() -> None:
    results = Results(machine={}, options={})
    results.measurements += [
        _m("file", "api", 1, 100),
        _m("file", "pgbench", 1, 400),
        _m("file", "minimal", 1, 1000),
        _m("file", "api", 32, 350),
        _m("file", "pgbench", 32, 1000),
        _m("file", "minimal", 32, 1400),
        _m("file", "bare", 32, 700),
    ]
    lines = table(results).splitlines()
    row_c1 = next(line for line in lines if line.startswith("file a request") and " 1 |" in line)
    row_c32 = next(line for line in lines if line.startswith("file a request") and " 32 |" in line)
    assert row_c1.split()[-3:] == ["0.25", "0.10", "-"]
    assert row_c32.split()[-3:] == ["0.35", "0.25", "0.50"]
    assert results.ratios() == {"file": {1: 0.25, 32: 0.35}}
    assert results.ratios("minimal") == {"file": {1: 0.1, 32: 0.25}}
    assert results.to_json()["ratios_minimal_sql"] == {"file": {"1": 0.1, "32": 0.25}}


def test_targets_are_checked_at_the_highest_concurrency_against_the_minimal_sql() -> None:
    results = Results(machine={}, options={})
    results.measurements += [
        _m("file", "api", 32, 300, p99=70.0),
        _m("file", "pgbench", 32, 400),
        _m("file", "minimal", 32, 1000),
        _m("read", "api", 32, 300, p99=10.0),
        _m("read", "pgbench", 32, 1000),
        _m("read", "minimal", 32, 1000),
        _m("queue", "api", 32, 300, p99=90.0),
    ]
    results.scaling.append({"operation": "claim", "side": "api", "cost_ratio": 1.1})
    results.memory = {"drift": 0.2}
    checks = {c["target"]: c["met"] for c in results.targets()}
    assert checks["file: API/pgbench minimal SQL at c=32 >= 0.4"] is False
    assert checks["read: API/pgbench minimal SQL at c=32 >= 0.2"] is True
    assert checks["file: p99 at c=32 <= 60 ms"] is False
    assert checks["read: p99 at c=32 <= 25 ms"] is True
    assert not any(name.startswith("queue: p99") for name in checks)  # no p99 goal for lists
    assert checks["claim: cost at large / small <= 1.3"] is True
    assert checks["memory drift of one API process <= 10%"] is False


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


def test_wrk_summary_line_from_the_lua_done_hook_is_parsed() -> None:
    output = (
        "Running 1s test @ http://127.0.0.1:8765\n"
        'BENCH_JSON {"requests": 10, "duration_us": 1000000, "ok": 9, "bad": 1, "empty": 0, '
        '"socket_errors": 0, "p50_us": 900, "p90_us": 1500, "p99_us": 2000, "mean_us": 1000.0, '
        '"max_us": 2100}\n'
    )
    parsed = parse_wrk(output)
    assert parsed["ok"] == 9
    assert parsed["p99_us"] == 2000
    with pytest.raises(RuntimeError, match="no BENCH_JSON"):
        parse_wrk("wrk: connection refused\n")


def test_pgbench_per_transaction_logs_give_sorted_latencies_in_ms(tmp_path: Path) -> None:
    (tmp_path / "pgbench_log.100").write_text("0 0 1500 0 1700000000 1\n0 1 500 0 1700000000 2\n")
    (tmp_path / "pgbench_log.100.1").write_text("1 0 2500 0 1700000000 3\n")
    assert pgbench_latencies(tmp_path) == [0.5, 1.5, 2.5]


def test_memory_drift_compares_settled_start_with_the_end() -> None:
    flat = memory.drift([100_000] * 5 + [102_400] * 30)
    assert flat["drift"] == pytest.approx(0.0)
    growing = memory.drift([100_000] * 5 + [102_400 + 1024 * i for i in range(30)])
    assert growing["drift"] > 0.2
    assert growing["max_mib"] > growing["first_mib"]


def test_quick_run_and_operation_subset_are_options() -> None:
    quick = options.parse(["--quick", "--ops", "read,claim", "--concurrency", "1,4"])
    assert quick.operations == ("read", "claim")
    assert quick.concurrencies == (1, 4)
    assert quick.duration < options.Options().duration
    assert quick.scaling_large < options.Options().scaling_large
    with pytest.raises(SystemExit):
        options.parse(["--ops", "delete_everything"])


def test_rounds_give_the_median_ratio_of_each_round_and_its_range() -> None:
    results = Results(machine={}, options={})
    for number, (api, least) in enumerate([(300, 1000), (200, 1000), (330, 1100)], start=1):
        results.measurements += [
            replace(_m("read", "api", 32, api), round=number),
            replace(_m("read", "minimal", 32, least), round=number),
        ]
    # Each round's ratio pairs the sides measured in that round: 0.3, 0.2, 0.3.
    assert results.round_ratios("read", 32, "minimal") == pytest.approx([0.3, 0.2, 0.3])
    assert results.ratio_summary("read", 32, "minimal") == {
        "median": 0.3,
        "min": 0.2,
        "max": 0.3,
        "rounds": 3,
    }
    assert results.ratios("minimal") == {"read": {32: 0.3}}
    point = results.find("read", "api", 32)
    assert point is not None
    assert point.throughput == 300  # the median round, not the best
    checks = {c["target"]: c["value"] for c in results.targets()}
    assert checks["read: API/pgbench minimal SQL at c=32 >= 0.2"] == 0.3
    row = next(line for line in table(results).splitlines() if line.startswith("read by id"))
    assert row.endswith("0.20-0.30 (3 rounds)")


def test_the_asgi_server_comparison_lists_granian_beside_uvicorn() -> None:
    results = Results(machine={}, options={})
    results.measurements += [
        _m("read", "api", 32, 300),
        _m("read", "api-granian", 32, 360),
        _m("read", "bare", 32, 900),
        _m("read", "bare-granian", 32, 1200),
        _m("read", "minimal", 32, 1200),
    ]
    (row,) = results.server_comparison()
    assert row["api"] == 300
    assert row["api-granian"] == 360
    assert row["api-granian/minimal"] == 0.3
    assert row["bare-granian/minimal"] == 1.0
    assert results.to_json()["asgi_servers"] == [row]
    assert any(
        line.startswith("ASGI server, read by id c=32") for line in table(results).splitlines()
    )
    # The granian sides do not get rows of their own in the main table.
    assert sum(line.startswith("read by id") for line in table(results).splitlines()) == 1


def test_rounds_and_the_granian_comparison_are_options() -> None:
    assert options.Options().rounds > 1
    assert options.parse(["--quick"]).rounds == 1
    assert options.parse(["--rounds", "5"]).rounds == 5
    assert options.parse(["--no-granian"]).granian is False


def test_the_middleware_share_is_its_cost_over_a_reads_cpu_in_the_api_process() -> None:
    results = Results(machine={}, options={})
    results.measurements += [replace(_m("read", "api", 32, 2000), cpu_ms=0.5)]
    assert results.middleware_share() is None  # not measured yet
    results.middleware = {"middleware_us": 20.0}
    assert results.middleware_share() == pytest.approx(0.04)
    checks = {c["target"]: c["met"] for c in results.targets()}
    assert checks["middleware <= 10% of a read's CPU in the API process"] is True
    results.middleware = {"middleware_us": 60.0}
    checks = {c["target"]: c["met"] for c in results.targets()}
    assert checks["middleware <= 10% of a read's CPU in the API process"] is False
    assert "12.0% of a read's CPU" in table(results)


def test_the_middleware_harness_measures_a_positive_cost() -> None:
    from bench import middleware

    found = middleware.measure(calls=500, rounds=1)
    assert found["with_middleware_us"] > found["app_alone_us"] > 0


def test_profile_samples_go_to_the_part_nearest_the_leaf() -> None:
    from bench import profile

    raw = "\n".join(
        [
            # Python frames: the nearest known package wins over the ones around it.
            "run (/v/uvicorn/main.py:1);handle (/v/litestar/app.py:9);"
            "fetchrow (/v/asyncpg/connection.py:5);_PyEval_EvalFrameDefault (libpython3.11.so) 6",
            # A system call under uvloop's transport is a system call.
            "run (/v/uvicorn/main.py:1);__pyx_f_6uvloop_4loop_UVStream_write (loop.cpython-311.so);"
            "write (libc.so.6) 3",
            # Our middleware, not eservice in general, and not Litestar around it.
            "run (/v/litestar/app.py:2);__call__ (/s/eservice/core/middleware.py:80) 1",
            "main (/s/nowhere.py:1) 2",
        ]
    )
    counts = profile.attribute(raw)
    assert counts == {
        "asyncpg (driver: protocol, codecs)": 6,
        profile.SYSTEM_CALLS: 3,
        "eservice middleware (request id, metrics, log)": 1,
        profile.OTHER: 2,
    }
    split = profile.split_cpu(counts, cpu_ms=0.6)
    assert split[0] == {
        "part": "asyncpg (driver: protocol, codecs)",
        "share": 0.5,
        "us_per_op": 300.0,
    }


def test_the_markdown_tables_come_from_the_json_a_run_writes() -> None:
    from bench import markdown

    results = Results(machine={"cpu": "x"}, options={"rounds": 2, "api_workers": 2})
    for number, api in ((1, 300), (2, 200)):
        results.measurements += [
            replace(_m("read", "api", 32, api), round=number, cpu_ms=0.4),
            replace(_m("read", "minimal", 32, 1000), round=number),
            replace(_m("read", "api-granian", 32, api + 50), round=number),
            replace(_m("read", "bare-granian", 32, 800), round=number),
            replace(_m("read", "bare", 32, 700), round=number),
        ]
    results.middleware = {"middleware_us": 12.0}
    text = markdown.render(json.loads(json.dumps(results.to_json())))
    row = next(line for line in text.splitlines() if line.startswith("| read by id | 32"))
    assert "| 0.40 |" in row  # the API's CPU per operation
    assert "0.25 (0.20 to 0.30)" in row  # median of the rounds' ratios and their range
    assert any(line.startswith("| read by id | 250 | 300 |") for line in text.splitlines())
    assert "3.0% of a read's CPU" in text
