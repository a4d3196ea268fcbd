"""The Open311 bench seeds reports the Open311 listing serves like filed ones."""

from __future__ import annotations

from bench.database import execute
from bench.open311 import QUERIES, seed_sql, table
from litestar import Litestar
from litestar.testing import AsyncTestClient


async def test_seeded_reports_are_listed_by_every_benched_query(
    client: AsyncTestClient[Litestar], database_url: str
) -> None:
    await execute(database_url, seed_sql(1, 400))
    for name, path in QUERIES.items():
        response = await client.get(path)
        assert response.status_code == 200, (name, response.text)
    listed = (await client.get("/open311/v2/requests.json")).json()
    assert len(listed) == 90  # one report a day, and the window is the last 90 days
    assert {r["status"] for r in listed} == {"open", "closed"}


def test_table_gives_the_ratio_of_the_two_sizes() -> None:
    row = {"median_ms": 2.0, "p95_ms": 3.0, "bytes": 1.0}
    result = {"sizes": {"10": dict.fromkeys(QUERIES, row), "20": dict.fromkeys(QUERIES, row)}}
    assert "| default (90 days, 1000) | 2.0 | 2.0 | 3.0 | 1.00 |" in table(result)
