"""Open311 listing at scale: does GET /open311/v2/requests slow down with a million requests?

Separate from ``make bench`` (no pgbench counterpart: this compares the API with itself at two
table sizes). A fresh database ``eservice_bench_open311`` is migrated and the catalogue
published; ``--small`` reports of ``strassenschaden`` are inserted by ``generate_series``
(spread over the last 400 days, a third closed, all with a location around Lübeck), each query
is timed through the app in process, then the table grows to ``--rows`` and the same queries
are timed again. Prints a table and writes ``bench/results/open311-<UTC time>.json``.

    python -m bench.open311 --database-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from bench.database import execute, fetchval, recreate_database, with_database
from eservice.app import create_app
from eservice.catalog.publishing import publish_catalog
from eservice.core import migrate
from eservice.core.config import load_settings

DATABASE = "eservice_bench_open311"
RESULTS = Path(__file__).parent / "results"
QUERIES = {
    "default (90 days, 1000)": "/open311/v2/requests.json",
    "page_size=100": "/open311/v2/requests.json?page_size=100",
    "page 10 of 100": "/open311/v2/requests.json?page=10&page_size=100",
    "status=closed, 100": "/open311/v2/requests.json?status=closed&page_size=100",
    "bbox (a tenth), 100": "/open311/v2/requests.json?bbox=10.60,53.80,10.62,53.90&page_size=100",
    "one request": "/open311/v2/requests/OS-7.json",
    "one request, XML": "/open311/v2/requests/OS-7.xml",
}


def seed_sql(first: int, last: int) -> str:
    """Reports ``first..last`` of strassenschaden v2: newest first by ``n`` descending."""
    return f"""
    INSERT INTO requests (id, reference, service_code, service_version, title, department, state,
        version, applicant_id, filed_by_kind, filed_by_id, priority, data, location,
        sla_business_days, sla_state, due_at, created_at, submitted_at, updated_at, closed_at)
    SELECT md5('os' || n)::uuid, 'OS-' || n, 'strassenschaden', 2,
        'Straßenschaden melden / Report damage on a public road', 'tiefbau',
        CASE WHEN n % 3 = 0 THEN 'fixed' WHEN n % 3 = 1 THEN 'submitted' ELSE 'in_progress' END,
        1, NULL, 'public', md5('reporter' || n)::uuid, 0,
        jsonb_build_object('kategorie', 'schlagloch', 'beschreibung', 'Schlagloch Nummer ' || n),
        jsonb_build_object('lat', 53.80 + (n % 100) / 1000.0, 'lon', 10.60 + (n % 200) / 1000.0,
                           'address', 'Breite Straße ' || (n % 120)),
        10, CASE WHEN n % 3 = 0 THEN 'stopped' ELSE 'runs' END, t + interval '14 days',
        t, t, t, CASE WHEN n % 3 = 0 THEN t + interval '5 days' END
    FROM generate_series({first}, {last}) AS n,
        LATERAL (SELECT now() - (n % 400) * interval '1 day' - (n % 86400) * interval '1 second'
                 AS t) AS g
    """


async def _grow(url: str, total: int) -> None:
    have = int(str(await fetchval(url, "SELECT count(*) FROM requests")))
    chunk = 200_000
    for first in range(have + 1, total + 1, chunk):
        await execute(url, seed_sql(first, min(first + chunk - 1, total)))
    await execute(url, "VACUUM ANALYZE requests")


async def _time(url: str, repeat: int) -> dict[str, dict[str, float]]:
    settings = load_settings(
        {"ESERVICE_ENV": "test", "ESERVICE_ACCESS_LOG": "false", "ESERVICE_LOG_LEVEL": "WARNING"},
        dotenv=None,
    )
    timings: dict[str, dict[str, float]] = {}
    async with AsyncTestClient(app=create_app(settings, url)) as client:
        for name, path in QUERIES.items():
            assert (await client.get(path)).status_code == 200, path  # warm caches
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = await client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, path
            samples.sort()
            timings[name] = {
                "median_ms": round(statistics.median(samples), 2),
                "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
                "bytes": float(len(response.content)),
            }
    return timings


def run(admin_url: str, small: int, rows: int, repeat: int) -> dict[str, Any]:
    """Time the queries at ``small`` and at ``rows`` requests; the results as a dict."""
    url = with_database(admin_url, DATABASE)
    recreate_database(admin_url, DATABASE)
    migrate.upgrade(url)
    asyncio.run(publish_catalog(url, load_settings({}, dotenv=None)))
    sizes = {}
    for size in (small, rows):
        asyncio.run(_grow(url, size))
        sizes[str(size)] = asyncio.run(_time(url, repeat))
    return {"at": datetime.now(UTC).isoformat(timespec="seconds"), "sizes": sizes}


def table(result: dict[str, Any]) -> str:
    small, large = list(result["sizes"])
    lines = [
        f"| query | median ms at {small} | median ms at {large} | p95 ms at {large} | ratio |",
        "|---|---|---|---|---|",
    ]
    for name in QUERIES:
        a, b = result["sizes"][small][name], result["sizes"][large][name]
        ratio = b["median_ms"] / a["median_ms"] if a["median_ms"] else float("nan")
        lines.append(
            f"| {name} | {a['median_ms']} | {b['median_ms']} | {b['p95_ms']} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.open311", description=__doc__)
    parser.add_argument("--database-url", required=True, help="a server the bench may use")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    result = run(args.database_url, args.small, args.rows, args.repeat)
    print(table(result))
    RESULTS.mkdir(exist_ok=True)
    stamp = result["at"].replace(":", "").replace("+0000", "Z")
    (RESULTS / f"open311-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
