"""Processing-time statistics: figures against hand-computed fixtures, small groups withheld,
nothing to subtract, CSV as open-data portals expect."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.ogc.helpers import insert_request

Client = AsyncTestClient[Litestar]
URL = "/api/v1/open-data/statistics"
DOG = "hundeanmeldung"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _fixture(conn: asyncpg.Connection) -> None:
    """March 2026 (no holidays in SH): six filed, five closed in March.

    Business days to close, counted in Europe/Berlin: the first is filed on Saturday
    28 Feb 23:30 UTC = Sunday 1 March local, closed Wednesday 4 March: 3 (Mon, Tue, Wed). The
    others are filed Monday 2 March and closed 9 March (5), 13 March (9), 16 March (10) and
    30 March (20). Sorted 3, 5, 9, 10, 20: median 9; 90th percentile (continuous)
    10 + 0.6 * (20 - 10) = 16. Due 16 March end of day: four within, one late: 0.8.
    The sixth, still open and due 10 March, is overdue now: 1 of 6 filed = 0.167.
    April: five filed Thursday 2 April, closed Tuesday 7 April: Good Friday and Easter Monday
    are holidays, so 1 business day each.
    February (UTC) has three filed requests: fewer than 5, withheld.
    """
    due = at("2026-03-16T22:59:59")
    await insert_request(
        conn,
        service=DOG,
        state="registered",
        submitted_at=at("2026-02-28T23:30:00"),
        closed_at=at("2026-03-04T10:00:00"),
        due_at=due,
    )
    for closed in ("2026-03-09", "2026-03-13", "2026-03-16", "2026-03-30"):
        await insert_request(
            conn,
            service=DOG,
            state="registered",
            submitted_at=at("2026-03-02T09:00:00"),
            closed_at=at(f"{closed}T10:00:00"),
            due_at=due,
        )
    await insert_request(
        conn,
        service=DOG,
        state="in_review",
        submitted_at=at("2026-03-02T09:00:00"),
        due_at=at("2026-03-10T22:59:59"),
    )
    for state in ("withdrawn", "spam"):  # never counted
        await insert_request(
            conn,
            service=DOG,
            state=state,
            submitted_at=at("2026-03-03T09:00:00"),
            closed_at=at("2026-03-04T09:00:00"),
            due_at=due,
        )
    for _ in range(5):
        await insert_request(
            conn,
            service=DOG,
            state="registered",
            submitted_at=at("2026-04-02T09:00:00"),
            closed_at=at("2026-04-07T09:00:00"),
            due_at=at("2026-04-20T21:59:59"),
        )
    for day in ("02", "10", "20"):
        await insert_request(
            conn,
            service=DOG,
            state="submitted",
            submitted_at=at(f"2026-02-{day}T09:00:00"),
            due_at=at("2030-01-01T00:00:00"),
        )


def _cells(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["month"]: item for item in body["items"] if item["service"] == DOG}


async def test_figures_match_hand_computed_values(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    await _fixture(raw_connection)
    response = await client.get(URL, params={"from": "2026-02", "to": "2026-04", "service": DOG})
    assert response.status_code == 200, response.text
    cells = _cells(response.json())
    assert cells["2026-03"] == {
        "service": DOG,
        "service_title_de": cells["2026-03"]["service_title_de"],
        "service_title_en": cells["2026-03"]["service_title_en"],
        "month": "2026-03",
        "filed": 6,
        "closed": 5,
        "median_business_days_to_close": 9.0,
        "p90_business_days_to_close": 16.0,
        "share_closed_within_sla": 0.8,
        "share_overdue_now": 0.167,
        "suppressed": [],
    }
    april = cells["2026-04"]
    assert (april["filed"], april["closed"]) == (5, 5)
    assert april["median_business_days_to_close"] == 1.0
    assert april["p90_business_days_to_close"] == 1.0
    assert april["share_closed_within_sla"] == 1.0
    assert april["share_overdue_now"] == 0.0


async def test_small_groups_are_withheld_and_named(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    await _fixture(raw_connection)
    body = (await client.get(URL, params={"from": "2026-02", "to": "2026-04"})).json()
    february = _cells(body)["2026-02"]
    assert february["filed"] is None
    assert february["share_overdue_now"] is None
    assert february["closed"] is None
    assert february["median_business_days_to_close"] is None
    assert set(february["suppressed"]) == {
        "filed",
        "share_overdue_now",
        "closed",
        "median_business_days_to_close",
        "p90_business_days_to_close",
        "share_closed_within_sla",
    }
    # A service with no requests at all is withheld too (0 is fewer than 5).
    other = next(i for i in body["items"] if i["service"] == "meldebescheinigung")
    assert other["filed"] is None


async def test_the_threshold_is_a_setting(
    client_with: Any, raw_connection: asyncpg.Connection
) -> None:
    await _fixture(raw_connection)
    async with client_with(open_data_min_count=3) as lenient:
        body = (await lenient.get(URL, params={"from": "2026-02", "to": "2026-02"})).json()
    assert body["min_count"] == 3
    february = _cells(body)["2026-02"]
    assert february["filed"] == 3
    assert february["closed"] is None  # none closed: still withheld


async def test_a_withheld_cell_cannot_be_recovered_by_subtraction(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    await _fixture(raw_connection)
    year = (await client.get(URL, params={"from": "2026-01", "to": "2026-12"})).json()
    month = (await client.get(URL, params={"from": "2026-02", "to": "2026-02"})).json()
    by_service = (
        await client.get(URL, params={"from": "2026-02", "to": "2026-04", "service": DOG})
    ).json()
    # No totals anywhere: only the range and the cells themselves.
    assert set(year) == {"from", "to", "min_count", "refreshed_at", "items"}
    assert all(set(item) == set(year["items"][0]) for item in year["items"])
    # Every cell is the same whatever the range or service filter, so two answers never
    # differ by a withheld cell.
    cells = {(i["service"], i["month"]): i for i in year["items"]}
    for item in month["items"] + by_service["items"]:
        assert cells[(item["service"], item["month"])] == item
    text = (
        await client.get(URL, params={"from": "2026-01", "to": "2026-12", "format": "csv"})
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(year["items"])
    assert not any("total" in value.lower() for row in rows for value in row.values())


async def test_csv_is_utf8_comma_separated_with_a_header_and_iso_months(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    await _fixture(raw_connection)
    response = await client.get(
        URL, params={"from": "2026-02", "to": "2026-03", "service": DOG, "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    lines = response.content.decode("utf-8").splitlines()
    assert lines[0] == (
        "service,service_title_de,service_title_en,month,filed,closed,"
        "median_business_days_to_close,p90_business_days_to_close,share_closed_within_sla,"
        "share_overdue_now,suppressed"
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["month"] for r in rows] == ["2026-02", "2026-03"]
    assert rows[0]["filed"] == ""
    assert "filed" in rows[0]["suppressed"].split(" ")
    assert (rows[1]["filed"], rows[1]["median_business_days_to_close"]) == ("6", "9.0")
    assert rows[1]["service_title_de"] == "Hundeanmeldung (Hundesteuer)"


async def test_bad_ranges_and_services_are_400(client: Client) -> None:
    for params in (
        {"from": "2026-13"},
        {"from": "0000-01", "to": "0000-02"},
        {"to": "9999-12"},
        {"from": "2026-05", "to": "2026-04"},
        {"from": "2000-01", "to": "2026-04"},
        {"service": "nope"},
        {"format": "xml"},
    ):
        response = await client.get(URL, params=params)
        assert response.status_code == 400, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_figures_follow_new_requests_after_a_refresh(
    client: Client, raw_connection: asyncpg.Connection, sessionmaker: Any, settings: Any
) -> None:
    from eservice.statistics.service import refresh

    params = {"from": "2026-04", "to": "2026-04", "service": DOG}
    assert _cells((await client.get(URL, params=params)).json())["2026-04"]["filed"] is None
    await _fixture(raw_connection)
    async with sessionmaker() as session, session.begin():
        await refresh(session, settings)
    assert _cells((await client.get(URL, params=params)).json())["2026-04"]["filed"] == 5
