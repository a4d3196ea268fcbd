"""The JSON documents of OGC API - Features Part 1, under the standard's names.

Only translation: published requests (eservice.requests.publication) become GeoJSON features,
and every resource gets the links the standard asks for.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eservice.requests.publication import Extent, PublishedRequest

COLLECTION_ID = "public-reports"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
]
TITLE = {"de": "Meldungen im öffentlichen Raum", "en": "Public reports"}
DESCRIPTION = {
    "de": "Öffentliche Meldungen (z. B. Straßenschäden) mit Ort und Bearbeitungsstand, "
    "ohne personenbezogene Daten.",
    "en": "Public reports (e.g. road damage) with their location and progress, "
    "without personal data.",
}


def link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": media_type}
    if title:
        out["title"] = title
    return out


def self_and_alternate(url: str, json_type: str) -> list[dict[str, str]]:
    """``self`` (JSON) and ``alternate`` (HTML) links of a resource at ``url`` (no query)."""
    return [
        link(f"{url}?f=json", "self", json_type, "this document"),
        link(f"{url}?f=html", "alternate", HTML, "this document as HTML"),
    ]


def landing_page(base: str, city: str) -> dict[str, Any]:
    root = f"{base}/ogc"
    return {
        "title": f"{city}: {TITLE['de']} / {TITLE['en']}",
        "description": f"{DESCRIPTION['de']} / {DESCRIPTION['en']}",
        "links": [
            *self_and_alternate(root, JSON),
            link(f"{root}/api", "service-desc", OPENAPI, "the API definition (OpenAPI 3.0)"),
            link(f"{root}/api?f=html", "service-doc", HTML, "the API definition as HTML"),
            link(f"{root}/conformance", "conformance", JSON, "conformance classes"),
            link(f"{root}/collections", "data", JSON, "feature collections"),
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE}


def collection(base: str, extent: Extent) -> dict[str, Any]:
    url = f"{base}/ogc/collections/{COLLECTION_ID}"
    document: dict[str, Any] = {
        "id": COLLECTION_ID,
        "title": f"{TITLE['de']} / {TITLE['en']}",
        "description": f"{DESCRIPTION['de']} / {DESCRIPTION['en']}",
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            *self_and_alternate(url, JSON),
            link(f"{url}/items?f=json", "items", GEOJSON, "the features (GeoJSON)"),
            link(f"{url}/items?f=html", "items", HTML, "the features (HTML)"),
        ],
    }
    spatial: dict[str, Any] = {"crs": CRS84}
    if extent.box is not None:
        box = extent.box
        spatial["bbox"] = [[box.west, box.south, box.east, box.north]]
    temporal: dict[str, Any] = {"trs": GREGORIAN}
    if extent.first is not None:
        temporal["interval"] = [[rfc3339(extent.first), rfc3339(extent.last)]]
    document["extent"] = {"spatial": spatial, "temporal": temporal}
    return document


def collections(base: str, extent: Extent) -> dict[str, Any]:
    url = f"{base}/ogc/collections"
    return {"links": self_and_alternate(url, JSON), "collections": [collection(base, extent)]}


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def feature(item: PublishedRequest, base: str, *, links: bool = False) -> dict[str, Any]:
    """A GeoJSON Feature: a point in CRS84 and the public properties only."""
    document: dict[str, Any] = {
        "type": "Feature",
        "id": str(item.id),
        "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
        "properties": {
            "reference": item.reference,
            "service": item.service_code,
            "service_title_de": item.service_title.de,
            "service_title_en": item.service_title.en,
            "state": item.state,
            "state_label_de": item.state_label.de,
            "state_label_en": item.state_label.en,
            "status": item.status,
            "department": item.department,
            "created": rfc3339(item.created),
            "updated": rfc3339(item.updated),
            "closed": rfc3339(item.closed),
            "due": rfc3339(item.due),
        },
    }
    if links:
        collection_url = f"{base}/ogc/collections/{COLLECTION_ID}"
        url = f"{collection_url}/items/{item.id}"
        document["links"] = [
            link(f"{url}?f=json", "self", GEOJSON, "this feature"),
            link(f"{url}?f=html", "alternate", HTML, "this feature as HTML"),
            link(f"{collection_url}?f=json", "collection", JSON, "the collection"),
        ]
    return document


def feature_collection(
    items: list[PublishedRequest],
    base: str,
    *,
    links: list[dict[str, str]],
    number_matched: int | None,
) -> dict[str, Any]:
    """``number_matched`` None: too many to count cheaply, left out (the standard allows it)."""
    document: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [feature(item, base) for item in items],
        "links": links,
        "timeStamp": rfc3339(datetime.now(UTC)),
    }
    if number_matched is not None:
        document["numberMatched"] = number_matched
    document["numberReturned"] = len(items)
    return document
