"""OGC API - Features at /ogc: the documents, filters, paging, privacy and refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.ogc.helpers import T0, insert_request

Client = AsyncTestClient[Litestar]
ITEMS = "/ogc/collections/public-reports/items"


def _path(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


async def test_landing_page_links_api_conformance_and_data(client: Client) -> None:
    response = await client.get("/ogc")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    rels = {link["rel"]: link for link in response.json()["links"]}
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    api = await client.get(_path(rels["service-desc"]["href"]))
    assert api.status_code == 200
    assert api.json()["openapi"].startswith("3.0")
    assert "/collections/public-reports/items" in api.json()["paths"]
    conformance = await client.get("/ogc/conformance")
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
        in conformance.json()["conformsTo"]
    )


async def test_html_renderings_are_served_for_f_html_and_browsers(client: Client) -> None:
    for path in ("/ogc", "/ogc/collections", "/ogc/collections/public-reports", ITEMS, "/ogc/api"):
        response = await client.get(path, params={"f": "html"})
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert response.text.startswith("<!DOCTYPE html>")
    browser = await client.get("/ogc", headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.headers["content-type"].startswith("text/html")


async def test_features_are_public_reports_with_a_location_and_no_personal_data(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    shown = await insert_request(raw_connection, lon=10.70, lat=53.87)
    await insert_request(raw_connection, service="sondernutzung")  # not a public service
    await insert_request(raw_connection, lon=None)  # no location
    await insert_request(raw_connection, state="draft", submitted_at=None)
    await insert_request(raw_connection, state="spam")
    await insert_request(raw_connection, state="withdrawn")
    response = await client.get(ITEMS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert [f["id"] for f in body["features"]] == [str(shown)]
    assert body["numberMatched"] == body["numberReturned"] == 1
    feature = body["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [10.70, 53.87]}
    assert feature["properties"]["status"] == "open"
    assert feature["properties"]["state_label_de"] == "Eingegangen"
    assert feature["properties"]["service_title_en"] == "Report damage on a public road"
    text = response.text
    for private in ("Breite Straße", "Schlagloch", "0451", "applicant", "Titel"):
        assert private not in text
    single = await client.get(f"{ITEMS}/{shown}")
    assert single.status_code == 200
    assert single.json()["properties"] == feature["properties"]
    assert {link["rel"] for link in single.json()["links"]} >= {"self", "collection"}


async def test_a_request_that_is_not_published_is_not_found(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    hidden = await insert_request(raw_connection, service="sondernutzung")
    for feature_id in (str(hidden), "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        response = await client.get(f"{ITEMS}/{feature_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "NotFound"
    assert (await client.get("/ogc/collections/elsewhere/items")).status_code == 404


async def test_collection_extent_is_computed_from_the_data(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    await insert_request(raw_connection, lon=10.60, lat=53.80, submitted_at=T0)
    await insert_request(raw_connection, lon=10.80, lat=53.95, submitted_at=T0 + timedelta(days=3))
    body = (await client.get("/ogc/collections/public-reports")).json()
    assert body["extent"]["spatial"]["bbox"] == [[10.60, 53.80, 10.80, 53.95]]
    assert body["extent"]["spatial"]["crs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert body["extent"]["temporal"]["interval"] == [
        ["2026-03-02T09:00:00Z", "2026-03-05T09:00:00Z"]
    ]
    assert body["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
    rels = {(link["rel"], link["type"]) for link in body["links"]}
    assert ("items", "application/geo+json") in rels


async def test_bbox_selects_points_inside_the_box_edges_included(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    inside = await insert_request(raw_connection, lon=10.65, lat=53.85)
    edge = await insert_request(raw_connection, lon=10.70, lat=53.90)
    await insert_request(raw_connection, lon=10.75, lat=53.85)
    await insert_request(raw_connection, lon=10.65, lat=53.95)
    body = (await client.get(ITEMS, params={"bbox": "10.6,53.8,10.7,53.9"})).json()
    assert sorted(f["id"] for f in body["features"]) == sorted([str(inside), str(edge)])
    assert body["numberMatched"] == 2
    six = (await client.get(ITEMS, params={"bbox": "10.6,53.8,0,10.7,53.9,100"})).json()
    assert six["numberMatched"] == 2


async def test_bbox_across_the_antimeridian_is_two_boxes(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    east = await insert_request(raw_connection, lon=179.5, lat=-17.0)
    west = await insert_request(raw_connection, lon=-179.5, lat=-17.0)
    await insert_request(raw_connection, lon=10.0, lat=-17.0)
    body = (await client.get(ITEMS, params={"bbox": "179,-18,-179,-16"})).json()
    assert sorted(f["id"] for f in body["features"]) == sorted([str(east), str(west)])


async def test_datetime_instants_intervals_and_open_ends(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    ids = [
        str(await insert_request(raw_connection, submitted_at=T0 + timedelta(days=n)))
        for n in range(4)
    ]

    async def found(value: str) -> list[str]:
        response = await client.get(ITEMS, params={"datetime": value})
        assert response.status_code == 200, response.text
        return [f["id"] for f in response.json()["features"]]

    assert await found("2026-03-03T09:00:00Z") == [ids[1]]
    assert await found("2026-03-03") == [ids[1]]
    assert await found("2026-03-03T09:00:00Z/2026-03-04T09:00:00Z") == ids[1:3]
    assert await found("../2026-03-03T09:00:00Z") == ids[:2]
    assert await found("2026-03-04T00:00:00+01:00/..") == ids[2:]
    assert await found("2026-03-04/") == ids[2:]
    assert await found("2026-03-02/2026-03-03") == ids[:2]
    assert await found("9999-12-31/..") == []
    assert await found("0001-01-01/9999-12-31") == ids


async def test_service_and_status_filters(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    open_one = await insert_request(raw_connection, state="in_progress")
    fixed = await insert_request(raw_connection, state="fixed", closed_at=T0 + timedelta(days=1))
    closed = (await client.get(ITEMS, params={"status": "closed"})).json()
    assert [f["id"] for f in closed["features"]] == [str(fixed)]
    assert closed["features"][0]["properties"]["closed"] == "2026-03-03T09:00:00Z"
    opened = (await client.get(ITEMS, params={"status": "open"})).json()
    assert [f["id"] for f in opened["features"]] == [str(open_one)]
    by_service = await client.get(ITEMS, params={"service": "strassenschaden"})
    assert by_service.json()["numberMatched"] == 2
    other = await client.get(ITEMS, params={"service": "sondernutzung"})
    assert other.status_code == 200
    assert other.json()["features"] == []


async def test_paging_follows_next_and_prev_links_without_gaps(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    ids = [
        str(await insert_request(raw_connection, submitted_at=T0 + timedelta(hours=n % 3)))
        for n in range(7)
    ]
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    url = f"{ITEMS}?limit=3&bbox=10,53,11,54"
    while url:
        body = (await client.get(url)).json()
        pages.append(body)
        assert body["numberMatched"] == 7
        seen += [f["id"] for f in body["features"]]
        nxt = [link for link in body["links"] if link["rel"] == "next"]
        assert all("bbox=10" in link["href"] for link in nxt)
        url = _path(nxt[0]["href"]) if nxt else ""
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen)) == 7
    assert [p["numberReturned"] for p in pages] == [3, 3, 1]
    assert not any(link["rel"] == "prev" for link in pages[0]["links"])
    prev = next(link for link in pages[2]["links"] if link["rel"] == "prev")
    back = (await client.get(_path(prev["href"]))).json()
    assert [f["id"] for f in back["features"]] == [f["id"] for f in pages[1]["features"]]
    prev_again = next(link for link in back["links"] if link["rel"] == "prev")
    first = (await client.get(_path(prev_again["href"]))).json()
    assert [f["id"] for f in first["features"]] == [f["id"] for f in pages[0]["features"]]
    assert not any(link["rel"] == "prev" for link in first["links"])


async def test_limit_defaults_to_ten_and_larger_limits_answer_the_maximum(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    for n in range(12):
        await insert_request(raw_connection, submitted_at=T0 + timedelta(minutes=n))
    assert (await client.get(ITEMS)).json()["numberReturned"] == 10
    large = await client.get(ITEMS, params={"limit": "5000"})
    assert large.status_code == 200
    assert large.json()["numberReturned"] == 12


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"bbox": "1,2,3"}, "four numbers"),
        ({"bbox": "a,b,c,d"}, "numbers"),
        ({"bbox": "0,10,1,5"}, "southern edge"),
        ({"bbox": "0,-91,1,5"}, "latitudes"),
        ({"bbox": "nan,1,2,3"}, "finite"),
        ({"datetime": "yesterday"}, "RFC 3339"),
        ({"datetime": "2026-03-05/2026-03-01"}, "ends before"),
        ({"datetime": "../.."}, "bounded end"),
        ({"datetime": "2026-03-01T10:00:00"}, "time zone"),
        ({"datetime": "0000-01-01"}, "RFC 3339"),
        (
            {
                # ["next", "2026-03-02T09:00:00" (no time zone), a UUID]
                "cursor": "WyJuZXh0IiwiMjAyNi0wMy0wMlQwOTowMDowMCIsIjAwMDAwMDAwLTAwMDAtMDAwMC0w"
                "MDAwLTAwMDAwMDAwMDAwMCJd"
            },
            "cursor",
        ),
        ({"limit": "0"}, "at least 1"),
        ({"limit": "ten"}, "whole number"),
        ({"status": "pending"}, "open or closed"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"sortby": "created"}, "unknown query parameter"),
        ({"f": "xml"}, "json or html"),
    ],
)
async def test_bad_parameters_are_400_with_a_clear_message(
    client: Client, params: dict[str, str], fragment: str
) -> None:
    response = await client.get(ITEMS, params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert fragment in body["detail"]
    assert body["code"] in ("InvalidParameterValue", "InvalidParameter")
    assert body["description"] == body["detail"]


async def test_dense_results_page_the_same_without_an_exact_count(
    client: Client, raw_connection: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Beyond COUNT_CAP matches the page comes from the filing-time index, not the GiST one,
    # and numberMatched is left out: the same features either way.
    from eservice.requests import publication

    inside = [
        str(
            await insert_request(
                raw_connection, lon=10.6 + n * 0.01, lat=53.85, submitted_at=T0 + timedelta(hours=n)
            )
        )
        for n in range(5)
    ]
    await insert_request(raw_connection, lon=11.5, lat=53.85)
    east = await insert_request(raw_connection, lon=179.5, lat=-17.0)
    west = await insert_request(raw_connection, lon=-179.5, lat=-17.0)
    far = await insert_request(raw_connection, lon=179.9, lat=-17.5)
    monkeypatch.setattr(publication, "COUNT_CAP", 2)
    seen: list[str] = []
    url = f"{ITEMS}?limit=2&bbox=10.5,53.8,10.7,53.9"
    while url:
        body = (await client.get(url)).json()
        assert "numberMatched" not in body or body["numberMatched"] <= 2
        seen += [f["id"] for f in body["features"]]
        nxt = [link for link in body["links"] if link["rel"] == "next"]
        url = _path(nxt[0]["href"]) if nxt else ""
    assert seen == inside
    first = (await client.get(ITEMS, params={"limit": "2", "bbox": "10.5,53.8,10.7,53.9"})).json()
    assert "numberMatched" not in first
    across = (await client.get(ITEMS, params={"bbox": "179,-18,-179,-16"})).json()
    assert sorted(f["id"] for f in across["features"]) == sorted([str(east), str(west), str(far)])
    assert "numberMatched" not in across
