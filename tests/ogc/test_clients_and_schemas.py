"""A GIS client's view: OWSLib's OGC API Features client against a live server, and every
document checked against the JSON schemas OGC publishes for Part 1 (tests/ogc/schemas, 1.0.1,
OGC licence in tests/ogc/schemas/LICENSE)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jsonschema_rs
import pytest
import yaml
from litestar import Litestar
from litestar.testing import AsyncTestClient
from owslib.ogcapi.features import Features

from tests.ogc.helpers import T0, insert_request
from tests.support.live_server import serve_in_thread

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "https://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/schemas/"


def _retrieve(uri: str) -> Any:
    # The schemas refer to each other by file name ($ref: link.yaml); serve them from the copy.
    return yaml.safe_load((SCHEMAS / uri.rsplit("/", 1)[-1]).read_text(encoding="utf-8"))


def validator(name: str) -> Any:
    schema = _retrieve(BASE + name)
    return jsonschema_rs.validator_for(schema, retriever=_retrieve, base_uri=BASE + name)


def assert_valid(name: str, document: Any) -> None:
    errors = [str(e) for e in validator(name).iter_errors(document)]
    assert errors == [], (name, errors)


def test_the_schema_copy_rejects_what_it_should() -> None:
    assert not validator("featureCollectionGeoJSON.yaml").is_valid({"type": "Feature"})
    assert not validator("landingPage.yaml").is_valid({"links": [{"rel": "self"}]})


@pytest.fixture
def live(app: Litestar) -> Iterator[str]:
    with serve_in_thread(app) as url:
        yield url


async def _reports(conn: asyncpg.Connection, count: int) -> list[str]:
    return [
        str(
            await insert_request(
                conn, lon=10.6 + n * 0.01, lat=53.85, submitted_at=T0 + timedelta(hours=n)
            )
        )
        for n in range(count)
    ]


async def test_documents_match_the_ogc_schemas(
    client: AsyncTestClient[Litestar], raw_connection: asyncpg.Connection
) -> None:
    ids = await _reports(raw_connection, 3)
    await insert_request(raw_connection, state="fixed", closed_at=T0 + timedelta(days=2))
    assert_valid("landingPage.yaml", (await client.get("/ogc")).json())
    assert_valid("confClasses.yaml", (await client.get("/ogc/conformance")).json())
    assert_valid("collections.yaml", (await client.get("/ogc/collections")).json())
    assert_valid("collection.yaml", (await client.get("/ogc/collections/public-reports")).json())
    items = (await client.get("/ogc/collections/public-reports/items?limit=2")).json()
    assert items["numberReturned"] == 2
    assert_valid("featureCollectionGeoJSON.yaml", items)
    one = await client.get(f"/ogc/collections/public-reports/items/{ids[0]}")
    assert_valid("featureGeoJSON.yaml", one.json())
    bad = await client.get("/ogc/collections/public-reports/items?bbox=1,2")
    assert_valid("exception.yaml", bad.json())


async def test_owslib_lists_collections_and_reads_items_with_bbox_and_paging(
    live: str, raw_connection: asyncpg.Connection
) -> None:
    ids = await _reports(raw_connection, 5)
    await insert_request(raw_connection, lon=13.4, lat=52.5)  # Berlin: outside the box
    api = Features(f"{live}/ogc")
    assert api.feature_collections() == ["public-reports"]
    assert api.conformance()["conformsTo"]
    assert api.collection("public-reports")["extent"]["spatial"]["bbox"][0][0] == pytest.approx(
        10.6
    )
    page = api.collection_items("public-reports", bbox=[10.5, 53.8, 10.7, 53.9], limit=2)
    assert page["numberMatched"] == 5
    seen = [f["id"] for f in page["features"]]
    while (nxt := [link for link in page["links"] if link["rel"] == "next"]) != []:
        # A client follows the next link as given (QGIS does the same).
        page = httpx.get(nxt[0]["href"]).json()
        seen += [f["id"] for f in page["features"]]
    assert seen == ids
    item = api.collection_item("public-reports", ids[0])
    assert item["properties"]["service"] == "strassenschaden"
    assert api.api()["openapi"].startswith("3.0")
