"""The DCAT-AP.de 3.0 catalogue: valid against the official SHACL shapes (tests/opendata/shapes),
with the properties a portal needs, in Turtle and JSON-LD, following the settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pyshacl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from tests.ogc.helpers import T0, insert_request

SHAPES = Path(__file__).parent / "shapes"
Client = AsyncTestClient[Litestar]
DCATDE = "http://dcat-ap.de/def/dcatde/"
CATALOG = URIRef("http://127.0.0.1:8000/open-data/catalog")
REPORTS = URIRef(f"{CATALOG}#public-reports")
TIMES = URIRef(f"{CATALOG}#processing-times")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    graph = Graph()
    for path in sorted(SHAPES.glob("dcat-ap-*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    graph = Graph()
    graph.parse(SHAPES / "vcard.ttl", format="turtle")
    graph.parse(SHAPES / "foaf_0_1.rdf", format="xml")
    return graph


def violations(catalog: Graph, shapes: Graph, ontology: Graph) -> list[str]:
    """Every sh:Violation the official shapes find (warnings are allowed)."""
    data = Graph()
    for triple in catalog:
        data.add(triple)
    # What the validator's owl:imports bring into the data graph (see vocabulary-excerpt.ttl).
    data.parse(SHAPES / "vocabulary-excerpt.ttl", format="turtle")
    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="rdfs", allow_warnings=True
    )
    return [
        f"{report.value(r, SH.focusNode)}: {report.value(r, SH.resultMessage)}"
        for r in report.subjects(SH.resultSeverity, SH.Violation)
    ]


async def _catalog(client: Client, suffix: str = "ttl") -> Graph:
    response = await client.get(f"/open-data/catalog.{suffix}")
    assert response.status_code == 200, response.text
    media = {"ttl": "text/turtle", "jsonld": "application/ld+json"}[suffix]
    assert response.headers["content-type"].startswith(media)
    return Graph().parse(data=response.text, format="turtle" if suffix == "ttl" else "json-ld")


async def test_catalog_has_no_violations_of_the_dcat_ap_de_shapes(
    client: Client, raw_connection: asyncpg.Connection, shapes: Graph, ontology: Graph
) -> None:
    await insert_request(raw_connection, lon=10.60, lat=53.80, submitted_at=T0)
    await insert_request(raw_connection, lon=10.80, lat=53.95, submitted_at=T0 + timedelta(days=9))
    await client.get("/api/v1/open-data/statistics")  # the figures exist
    catalog = await _catalog(client)
    assert violations(catalog, shapes, ontology) == []
    json_ld = await _catalog(client, "jsonld")
    assert isomorphic(catalog, json_ld)


async def test_catalog_without_any_data_is_valid_too(
    client: Client, shapes: Graph, ontology: Graph
) -> None:
    catalog = await _catalog(client)
    assert (REPORTS, DCTERMS.temporal, None) not in catalog
    assert violations(catalog, shapes, ontology) == []


async def test_the_shapes_catch_a_broken_catalogue(
    client: Client, shapes: Graph, ontology: Graph
) -> None:
    catalog = await _catalog(client)
    catalog.remove((REPORTS, DCTERMS.publisher, None))
    catalog.remove((TIMES, DCTERMS.title, None))
    found = violations(catalog, shapes, ontology)
    assert any(str(REPORTS) in v and "publisher" in v for v in found)
    assert any(str(TIMES) in v for v in found)


async def test_catalog_states_what_a_portal_needs(
    client: Client, raw_connection: asyncpg.Connection
) -> None:
    await insert_request(raw_connection, lon=10.60, lat=53.80, submitted_at=T0)
    await insert_request(raw_connection, lon=10.80, lat=53.95, submitted_at=T0 + timedelta(days=9))
    g = await _catalog(client)
    assert (CATALOG, RDF.type, DCAT.Catalog) in g
    assert set(g.objects(CATALOG, DCAT.dataset)) == {REPORTS, TIMES}
    for dataset in (REPORTS, TIMES):
        titles = {t.language for t in g.objects(dataset, DCTERMS.title) if isinstance(t, Literal)}
        assert titles == {"de", "en"}
        assert {d.language for d in g.objects(dataset, DCTERMS.description)} == {"de", "en"}  # type: ignore[attr-defined]
        assert g.value(dataset, DCTERMS.publisher) == URIRef("https://www.luebeck.de/")
        contact = g.value(dataset, DCAT.contactPoint)
        assert contact is not None
        assert (
            dataset,
            DCTERMS.spatial,
            URIRef("http://dcat-ap.de/def/politicalGeocoding/regionalKey/010030000000"),
        ) in g
        assert g.value(dataset, URIRef(DCATDE + "politicalGeocodingLevelURI")) is not None
        assert list(g.objects(dataset, DCAT.theme))
        assert list(g.objects(dataset, DCAT.keyword))
        for distribution in g.objects(dataset, DCAT.distribution):
            assert g.value(distribution, DCTERMS.license) == URIRef(
                "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
            )
    formats = {
        str(g.value(d, DCTERMS.format)).rsplit("/", 1)[-1]
        for dataset in (REPORTS, TIMES)
        for d in g.objects(dataset, DCAT.distribution)
    }
    assert formats == {"GEOJSON", "CSV", "JSON"}
    period = g.value(REPORTS, DCTERMS.temporal)
    assert str(g.value(period, DCAT.startDate)) == "2026-03-02T09:00:00+00:00"
    assert str(g.value(period, DCAT.endDate)) == "2026-03-11T09:00:00+00:00"
    boxes = [
        str(g.value(place, DCAT.bbox))
        for place in g.objects(REPORTS, DCTERMS.spatial)
        if g.value(place, DCAT.bbox) is not None
    ]
    assert boxes == ["POLYGON((10.6 53.8, 10.8 53.8, 10.8 53.95, 10.6 53.95, 10.6 53.8))"]
    services = list(g.subjects(RDF.type, DCAT.DataService))
    assert [str(g.value(s, DCAT.endpointURL)) for s in services] == ["http://127.0.0.1:8000/ogc"]


async def test_licence_regional_key_and_publisher_follow_the_settings(
    client_with: Any, shapes: Graph, ontology: Graph
) -> None:
    async with client_with(
        open_data_license="dl-zero-de/2.0",
        open_data_regional_key="020000000000",
        open_data_city="Hamburg",
        open_data_publisher="Freie und Hansestadt Hamburg",
        open_data_publisher_url="https://www.hamburg.de/",
        open_data_contact_email="transparenz@example.org",
        public_url="https://eservice.example.org",
    ) as other:
        g = await _catalog(other)
    catalog = URIRef("https://eservice.example.org/open-data/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    licences = set(g.objects(None, DCTERMS.license))
    assert licences == {URIRef("http://dcat-ap.de/def/licenses/dl-zero-de/2.0")}
    assert not list(g.objects(None, URIRef(DCATDE + "licenseAttributionByText")))
    spatial = URIRef("http://dcat-ap.de/def/politicalGeocoding/regionalKey/020000000000")
    assert (catalog, DCTERMS.spatial, spatial) in g
    assert any("Hamburg" in str(t) for t in g.objects(catalog, DCTERMS.title))
    assert (
        None,
        URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"),
        URIRef("mailto:transparenz@example.org"),
    ) in g
    assert violations(g, shapes, ontology) == []
