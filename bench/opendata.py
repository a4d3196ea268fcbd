"""Open-data benchmark: OGC API bbox queries and the statistics at a million requests.

    .venv/bin/python -m bench.opendata [--database-url URL] [--rows 1000000] [--repeat 30]

Creates a fresh database ``eservice_bench_opendata`` (embedded PostgreSQL unless a server is
named), migrates it, publishes the catalogue, inserts ``--rows`` requests with
``generate_series`` (60 % public reports with a location spread over the city, the rest other
services; over two years; two thirds closed), then times, through the app in-process (the
full Litestar stack, no network), the OGC API items for boxes of several sizes, a next page, a
feature, the statistics refresh and a statistics read; and shows the plan of a small-box query
(the GiST index must be used). Prints a table and writes bench/results/opendata-latest.json.
The database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from bench.database import plain, say, start, with_database
from eservice.app import create_app
from eservice.catalog.publishing import catalog_root, publish_catalog
from eservice.core import migrate
from eservice.core.config import load_settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.transaction import transaction
from eservice.statistics.service import refresh

DATABASE = "eservice_bench_opendata"
RESULTS = Path(__file__).parent / "results"
ITEMS = "/ogc/collections/public-reports/items"
# Lübeck's city area, roughly: 10.55..10.95 E, 53.80..53.98 N.
WEST, SOUTH, EAST, NORTH = 10.55, 53.80, 10.95, 53.98
BOXES = {
    "bbox 200 m": "10.700,53.870,10.703,53.872",
    "bbox 2 km": "10.68,53.86,10.71,53.88",
    "bbox whole city": f"{WEST},{SOUTH},{EAST},{NORTH}",
}

_SEED = f"""
INSERT INTO requests (id, reference, service_code, service_version, title, department, state,
    version, applicant_id, filed_by_kind, filed_by_id, priority, data, location,
    sla_business_days, sla_state, due_at, created_at, submitted_at, updated_at, closed_at)
SELECT md5('od' || n)::uuid, 'OD-' || n, s.code, 1, 'Bench', s.department,
    CASE WHEN closed THEN s.closed_state ELSE s.open_state END, 1,
    md5('citizen' || n % 1000)::uuid, 'citizen', md5('citizen' || n % 1000)::uuid, 0,
    '{{}}'::jsonb,
    CASE WHEN s.code = 'strassenschaden' THEN jsonb_build_object(
        'lon', {WEST} + ({EAST} - {WEST}) * ((hashint4(n) & 65535) / 65535.0),
        'lat', {SOUTH} + ({NORTH} - {SOUTH}) * ((hashint4(n + 7919) & 65535) / 65535.0))
    END,
    10, CASE WHEN closed THEN 'stopped' ELSE 'runs' END, t + interval '14 days', t, t,
    t + interval '1 hour',
    CASE WHEN closed THEN t + ((hashint4(n + 31) & 31) + 1) * interval '1 day' END
FROM generate_series($1::int, $2::int) AS n,
    LATERAL (SELECT now() - interval '730 days' + (n % 730) * interval '1 day'
                    + (n % 86400) * interval '1 second' AS t,
                    n % 3 <> 0 AS closed) AS g,
    LATERAL (SELECT * FROM (VALUES
        (0, 'strassenschaden', 'tiefbau', 'in_progress', 'fixed'),
        (1, 'hundeanmeldung', 'steuern', 'in_review', 'registered'),
        (2, 'bewohnerparkausweis', 'verkehr', 'in_review', 'approved'),
        (3, 'meldebescheinigung', 'buergerservice', 'submitted', 'issued'))
        AS v(k, code, department, open_state, closed_state)
      WHERE k = CASE WHEN n % 10 < 6 THEN 0 ELSE 1 + n % 3 END) AS s
"""


async def _recreate(admin_url: str, database: str) -> None:
    conn = await asyncpg.connect(plain(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


async def _drop(admin_url: str, database: str) -> None:
    conn = await asyncpg.connect(plain(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


async def _seed(url: str, rows: int) -> None:
    conn = await asyncpg.connect(plain(url))
    try:
        chunk = 200_000
        for first in range(1, rows + 1, chunk):
            await conn.execute(_SEED, first, min(first + chunk - 1, rows))
            say(f"  {min(first + chunk - 1, rows)} rows")
        await conn.execute("VACUUM ANALYZE requests")
    finally:
        await conn.close()


async def _plan(url: str, box: str) -> str:
    """The plan of a small-box page as eservice.requests.publication_repository writes it
    (a sparse box: matches from the GiST index, then ordered)."""
    west, south, east, north = (float(v) for v in box.split(","))
    point = "point((location->>'lon')::float8, (location->>'lat')::float8)"
    conn = await asyncpg.connect(plain(url))
    try:
        rows = await conn.fetch(
            "EXPLAIN WITH hits AS MATERIALIZED (SELECT id, submitted_at FROM requests "
            "WHERE location IS NOT NULL AND submitted_at IS NOT NULL "
            "AND service_code = ANY($5::text[]) "
            f"AND {point} <@ box(point($1, $2), point($3, $4))) "
            "SELECT * FROM hits ORDER BY submitted_at, id LIMIT 11",
            west,
            south,
            east,
            north,
            ["strassenschaden"],
        )
    finally:
        await conn.close()
    return "\n".join(r[0] for r in rows)


async def _time(repeat: int, call: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    await call()  # warm caches and the extent
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1),
    }


async def _measure(url: str, repeat: int) -> dict[str, Any]:
    settings = load_settings({"ESERVICE_ENV": "test", "ESERVICE_ACCESS_LOG": "false"}, dotenv=None)
    engine = create_engine(url, settings)
    started = time.perf_counter()
    async with transaction(create_sessionmaker(engine)) as session:
        await refresh(session, settings)
    refresh_ms = round((time.perf_counter() - started) * 1000, 1)
    await engine.dispose()
    results: dict[str, Any] = {"statistics refresh (once)": {"median_ms": refresh_ms}}
    app = create_app(settings, url)
    async with AsyncTestClient(app=app, base_url="http://bench.local") as client:

        def get(path: str, **params: str) -> Callable[[], Awaitable[Any]]:
            async def call() -> Any:
                response = await client.get(path, params=params)
                assert response.status_code == 200, response.text
                if response.headers["content-type"].startswith("text/csv"):
                    return response.text
                return response.json()

            return call

        matched: dict[str, int] = {}
        for name, box in BOXES.items():
            results[name] = await _time(repeat, get(ITEMS, bbox=box))
            # Beyond the count's cap numberMatched is left out: the page's plan differs then.
            found = (await get(ITEMS, bbox=box)()).get("numberMatched")
            matched[name] = 10**9 if found is None else found
            results[name]["matched"] = "> 10000" if found is None else found
        # Pages of 100 (of 5 when a small run has too few features for a second page of 100).
        page = "100" if matched["bbox 2 km"] > 200 else "5"
        first = await get(ITEMS, bbox=BOXES["bbox 2 km"], limit=page)()
        nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
        results[f"bbox 2 km, next page of {page}"] = await _time(
            repeat, get(nxt.replace("http://bench.local", ""))
        )
        results["items, no filter"] = await _time(repeat, get(ITEMS))
        results["items, datetime month"] = await _time(
            repeat, get(ITEMS, datetime=_last_month_interval())
        )
        feature = first["features"][0]["id"]
        results["one feature"] = await _time(repeat, get(f"{ITEMS}/{feature}"))
        results["statistics, 12 months, all services"] = await _time(
            repeat, get("/api/v1/open-data/statistics")
        )
        results["statistics CSV, 24 months"] = await _time(
            repeat, get("/api/v1/open-data/statistics", format="csv", **_two_years())
        )
    return results


def _last_month_interval() -> str:
    end = time.gmtime(time.time() - 86400 * 30)
    start = time.gmtime(time.time() - 86400 * 60)
    return (
        f"{time.strftime('%Y-%m-%dT00:00:00Z', start)}/{time.strftime('%Y-%m-%dT00:00:00Z', end)}"
    )


def _two_years() -> dict[str, str]:
    now = time.gmtime()
    return {"from": f"{now.tm_year - 2}-{now.tm_mon:02d}", "to": f"{now.tm_year}-{now.tm_mon:02d}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.opendata", description=__doc__)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: embedded)")
    parser.add_argument("--data-dir", default=".data/bench", help="embedded server's directory")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-name", default=DATABASE, help="the database to (re)create")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by --keep (no seeding)"
    )
    parser.add_argument("--output", default=str(RESULTS / "opendata-latest.json"))
    args = parser.parse_args(argv)
    admin = start(Path(args.data_dir), args.database_url)
    url = with_database(admin, args.database_name)
    if not args.reuse:
        asyncio.run(_recreate(admin, args.database_name))
    try:
        say("applying migrations and publishing the catalogue ...")
        migrate.upgrade(url)
        settings = load_settings({}, dotenv=None)
        asyncio.run(publish_catalog(url, settings, catalog_root(settings)))
        if not args.reuse:
            say(f"inserting {args.rows} requests ...")
            started = time.perf_counter()
            asyncio.run(_seed(url, args.rows))
            say(f"seeded in {time.perf_counter() - started:.0f} s")
        plan = asyncio.run(_plan(url, BOXES["bbox 200 m"]))
        results = asyncio.run(_measure(url, args.repeat))
    finally:
        if not args.keep:
            asyncio.run(_drop(admin, args.database_name))
    print(f"\nopen data at {args.rows} requests ({args.repeat} runs each, in-process HTTP)\n")
    print(f"| {'query':<40} | median ms | p95 ms | matched |")
    print(f"|{'-' * 42}|-----------|--------|---------|")
    for name, figures in results.items():
        print(
            f"| {name:<40} | {figures['median_ms']:>9} | {figures.get('p95_ms', ''):>6} "
            f"| {figures.get('matched', ''):>7} |"
        )
    print("\nplan of a 200 m box:\n" + plan)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        json.dumps(
            {"rows": args.rows, "repeat": args.repeat, "results": results, "plan": plan}, indent=2
        ),
        encoding="utf-8",
    )
    return 0 if "ix_requests_location" in plan else 1


if __name__ == "__main__":
    raise SystemExit(main())
