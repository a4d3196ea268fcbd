"""Contract: every GET endpoint in both formats, validated against the standard's own JSON
Schemas, and the XML answer parsed and compared with the JSON one field by field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema_rs
import pytest

from tests.open311.helpers import BASE, Client, post_report
from tests.public.helpers import file_anonymously
from tests.support.auth import MakeApiClient

SCHEMAS = Path(__file__).parent / "georeport_schemas"
# Element names of list items in the XML (the standard's examples).
ITEM = {
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "formats": "format",
    "endpoints": "endpoint",
}


def _retrieve(uri: str) -> Any:
    return json.loads((SCHEMAS / uri.rsplit("/", 1)[-1]).read_text(encoding="utf-8"))


def validate(schema_file: str, document: Any) -> None:
    validator = jsonschema_rs.Draft4Validator(
        _retrieve(schema_file),
        base_uri=f"https://schemas.open311.invalid/{schema_file}",
        retriever=_retrieve,
        validate_formats=True,
    )
    errors = [str(e) for e in validator.iter_errors(document)]
    assert errors == [], errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same(element: ElementTree.Element, value: Any, name: str) -> None:
    """The XML element holds exactly what the JSON value holds."""
    assert element.tag == name
    if isinstance(value, dict):
        assert [child.tag for child in element] == list(value), name
        for child in element:
            same(child, value[child.tag], child.tag)
    elif isinstance(value, list):
        assert len(element) == len(value), name
        for child, item in zip(element, value, strict=True):
            same(child, item, ITEM[name])
    elif isinstance(value, float):
        assert float(element.text or "nan") == value, name
    else:
        assert (element.text or "") == _text(value), name


def same_list(xml: str, root: str, item: str, documents: list[Any]) -> None:
    assert xml.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
    assert "xmlns" not in xml
    parsed = ElementTree.fromstring(xml.encode())
    assert parsed.tag == root
    assert len(parsed) == len(documents)
    for element, document in zip(parsed, documents, strict=True):
        same(element, document, item)


@pytest.fixture
async def reports(client: Client, make_api_client: MakeApiClient) -> list[str]:
    app = await make_api_client(["requests:write"])
    first = (await post_report(client, app))[0]["service_request_id"]
    second = (await file_anonymously(client))["reference"]
    return [first, second]


async def test_services_in_both_formats(client: Client) -> None:
    as_json = (await client.get(f"{BASE}/services.json")).json()
    validate("services.json", as_json)
    xml = await client.get(f"{BASE}/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    same_list(xml.text, "services", "service", as_json)


async def test_service_definition_in_both_formats(client: Client) -> None:
    as_json = (await client.get(f"{BASE}/services/strassenschaden.json")).json()
    validate("service-definition.json", as_json)
    xml = (await client.get(f"{BASE}/services/strassenschaden.xml")).text
    assert "xmlns" not in xml
    same(ElementTree.fromstring(xml.encode()), as_json, "service_definition")


@pytest.mark.parametrize(
    "query", ["", "?extensions=true", "?status=open&service_code=strassenschaden"]
)
async def test_requests_in_both_formats(client: Client, reports: list[str], query: str) -> None:
    as_json = (await client.get(f"{BASE}/requests.json{query}")).json()
    assert {r["service_request_id"] for r in as_json} == set(reports)
    validate("requests.json", as_json)
    xml = (await client.get(f"{BASE}/requests.xml{query}")).text
    same_list(xml, "service_requests", "request", as_json)


async def test_one_request_in_both_formats(client: Client, reports: list[str]) -> None:
    for reference in reports:
        as_json = (await client.get(f"{BASE}/requests/{reference}.json")).json()
        validate("requests.json", as_json)
        validate("request.json", as_json[0])
        xml = (await client.get(f"{BASE}/requests/{reference}.xml")).text
        same_list(xml, "service_requests", "request", as_json)


async def test_post_token_discovery_and_errors_in_both_formats(
    client: Client, make_api_client: MakeApiClient
) -> None:
    app = await make_api_client(["requests:write"])
    created = await post_report(client, app)
    assert list(created[0]) == ["service_request_id", "service_notice", "account_id"]
    xml = await post_report(client, app, fmt="xml")
    parsed = ElementTree.fromstring(xml.encode())
    assert parsed.tag == "service_requests"
    assert [c.tag for c in parsed[0]] == ["service_request_id", "service_notice", "account_id"]
    anonymous = await file_anonymously(client)
    token = anonymous["tracking_token"]
    as_json = (await client.get(f"{BASE}/tokens/{token}.json")).json()
    same_list(
        (await client.get(f"{BASE}/tokens/{token}.xml")).text,
        "service_requests",
        "request",
        as_json,
    )
    discovery = (await client.get(f"{BASE}/discovery.json")).json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    xml_discovery = (await client.get(f"{BASE}/discovery.xml")).text
    same(ElementTree.fromstring(xml_discovery.encode()), discovery, "discovery")
    errors = (await client.get(f"{BASE}/requests/HL-0000-NOPE.json")).json()
    assert errors == [
        {"code": 404, "description": "service_request_id 'HL-0000-NOPE' was not found"}
    ]
    xml_errors = (await client.get(f"{BASE}/requests/HL-0000-NOPE.xml")).text
    same_list(xml_errors, "errors", "error", errors)
