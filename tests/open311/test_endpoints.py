"""Open311 GeoReport v2: every endpoint, filing with an api_key, following to closed."""

from __future__ import annotations

import asyncpg

from tests.open311.helpers import BASE, POTHOLE, Client, api_key, post_report
from tests.public.helpers import emails_to
from tests.requests.helpers import fire
from tests.support.auth import MakeApiClient, MakeStaff


async def test_services_list_only_public_services(client: Client) -> None:
    response = await client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    services = response.json()
    assert [s["service_code"] for s in services] == ["strassenschaden"]
    assert services[0]["metadata"] is True
    assert services[0]["type"] == "realtime"
    assert services[0]["group"] == "Tiefbauamt" or services[0]["group"]


async def test_service_definition_is_derived_from_the_form(client: Client) -> None:
    response = await client.get(f"{BASE}/services/strassenschaden.json")
    assert response.status_code == 200, response.text
    definition = response.json()
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert "beschreibung" not in attributes  # filled by Open311's own description
    assert attributes["kategorie"]["datatype"] == "singlevaluelist"
    assert attributes["kategorie"]["required"] is True
    assert {"key": "schlagloch", "name": "Schlagloch"} in attributes["kategorie"]["values"]
    assert attributes["akute_gefahr"]["datatype"] == "singlevaluelist"
    assert attributes["entdeckt_am"]["datatype"] == "datetime"
    assert attributes["kontakt_email"]["datatype"] == "string"
    orders = [a["order"] for a in definition["attributes"]]
    assert orders == list(range(1, len(orders) + 1))
    english = await client.get(
        f"{BASE}/services/strassenschaden.json", headers={"Accept-Language": "en"}
    )
    described = {a["code"]: a["description"] for a in english.json()["attributes"]}
    assert described["kategorie"] == "Type of damage"
    for path in ("services/hundeanmeldung.json", "services/nope.xml", "services/strassenschaden"):
        missing = await client.get(f"{BASE}/{path}")
        assert missing.status_code == 404, path
        assert missing.headers["content-type"].startswith(("application/json", "text/xml"))


async def test_post_files_through_the_same_rules_and_follows_to_closed(
    client: Client,
    make_api_client: MakeApiClient,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    app = await make_api_client(["requests:write"])
    created = await post_report(client, app, email="melder@example.org", first_name="Max")
    assert len(created) == 1
    reference = created[0]["service_request_id"]
    assert created[0]["service_notice"]
    row = await raw_connection.fetchrow(
        "SELECT id, data, state, service_version FROM requests WHERE reference = $1", reference
    )
    mails = await emails_to(raw_connection, "melder@example.org")
    assert [m["template"] for m in mails] == ["report_filed"]
    assert mails[0]["context"]["reference"] == reference
    assert row["state"] == "submitted"
    assert '"entdeckt_am": "2026-02-04"' in row["data"]  # 23:30 UTC is the 4th in Lübeck
    one = (await client.get(f"{BASE}/requests/{reference}.json")).json()
    assert one[0]["status"] == "open"
    assert one[0]["agency_responsible"]
    assert one[0]["lat"] == 53.8655
    assert one[0]["description"].startswith("Tiefes Schlagloch")
    clerk = await make_staff(departments=("tiefbau",))
    current = (await client.get(f"/api/v1/requests/{row['id']}", headers=clerk.headers)).json()
    current = await fire(client, clerk, current, "start_work")
    await fire(client, clerk, current, "mark_fixed")
    closed = (await client.get(f"{BASE}/requests/{reference}.json?extensions=true")).json()[0]
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "Behoben"
    assert [n["description"] for n in closed["notes"]] == [
        "Eingegangen",
        "In Bearbeitung",
        "Behoben",
    ]
    listed = (await client.get(f"{BASE}/requests.json?status=closed")).json()
    assert [r["service_request_id"] for r in listed] == [reference]
    assert (await client.get(f"{BASE}/requests.json?status=open")).json() == []


async def test_post_errors_are_georeport_errors(
    client: Client, make_api_client: MakeApiClient, raw_connection: asyncpg.Connection
) -> None:
    reader = await make_api_client(["requests:read"])
    writer = await make_api_client(["requests:write"])
    no_key = await client.post(f"{BASE}/requests.json", data=POTHOLE)
    assert no_key.status_code == 403
    assert no_key.json()[0]["code"] == 403
    wrong_scope = await client.post(
        f"{BASE}/requests.json", data={**POTHOLE, "api_key": api_key(reader)}
    )
    assert wrong_scope.status_code == 403
    bad = await client.post(
        f"{BASE}/requests.xml",
        data={**POTHOLE, "api_key": api_key(writer), "attribute[kategorie]": "vulkan"},
    )
    assert bad.status_code == 400
    assert bad.text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>400')
    assert "attribute[kategorie]" in bad.text
    short = await client.post(
        f"{BASE}/requests.json",
        data={**POTHOLE, "api_key": api_key(writer), "description": "kurz"},
    )
    assert short.status_code == 400
    assert short.json()[0]["description"].startswith("description")
    unknown = await client.get(f"{BASE}/nothing-here.json")
    assert unknown.status_code == 404
    assert unknown.json() == [{"code": 404, "description": "No such resource."}]
    unknown_xml = await client.get(f"{BASE}/nothing/here")
    assert unknown_xml.status_code == 404
    assert "<errors><error><code>404</code>" in unknown_xml.text
    assert await raw_connection.fetchval("SELECT count(*) FROM requests") == 0


async def test_get_requests_filters_window_paging_and_bbox(
    client: Client, make_api_client: MakeApiClient
) -> None:
    app = await make_api_client(["requests:write"])
    refs = [(await post_report(client, app))[0]["service_request_id"] for _ in range(3)]
    listed = (await client.get(f"{BASE}/requests.json")).json()
    assert [r["service_request_id"] for r in listed] == list(reversed(refs))
    page2 = (await client.get(f"{BASE}/requests.json?page=2&page_size=2")).json()
    assert [r["service_request_id"] for r in page2] == [refs[0]]
    chosen = await client.get(f"{BASE}/requests.json?service_request_id={refs[0]},{refs[2]}")
    assert {r["service_request_id"] for r in chosen.json()} == {refs[0], refs[2]}
    outside = await client.get(f"{BASE}/requests.json?bbox=0,0,1,1")
    assert outside.json() == []
    inside = await client.get(f"{BASE}/requests.json?bbox=10,53,11,54")
    assert len(inside.json()) == 3
    old = await client.get(
        f"{BASE}/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z"
    )
    assert old.json() == []
    too_long = await client.get(
        f"{BASE}/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-06-01T00:00:00Z"
    )
    assert too_long.status_code == 400
    for query in ("page_size=1001", "page=3&page_size=500", "status=pending", "bbox=1,2"):
        response = await client.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == 400, query
        assert response.json()[0]["code"] == 400


async def test_jurisdiction_and_token(client_with: object, client: Client) -> None:
    from tests.public.helpers import file_anonymously

    body = await file_anonymously(client)
    found = await client.get(f"{BASE}/tokens/{body['tracking_token']}.json")
    assert found.json() == [
        {"service_request_id": body["reference"], "token": body["tracking_token"]}
    ]
    assert (await client.get(f"{BASE}/tokens/tr_unknown.json")).status_code == 404
    async with client_with(open311_jurisdiction="luebeck.de") as city:  # type: ignore[operator]
        assert (
            await city.get(f"{BASE}/services.json?jurisdiction_id=luebeck.de")
        ).status_code == 200
        assert (await city.get(f"{BASE}/services.json?jurisdiction_id=kiel.de")).status_code == 404
        assert (await city.get(f"{BASE}/services.json")).status_code == 200


async def test_media_url_is_the_first_public_photo_and_readable_by_anyone(client: Client) -> None:
    from tests.attachments.conftest import png_bytes
    from tests.public.helpers import file_anonymously

    body = await file_anonymously(client)
    photo = png_bytes()
    added = await client.post(
        f"/api/v1/tracking/{body['tracking_token']}/attachments",
        files={"file": ("loch.png", photo, "image/png")},
        data={"kind": "foto"},
    )
    assert added.status_code == 201
    found = (await client.get(f"{BASE}/requests/{body['reference']}.json")).json()[0]
    assert found["media_url"].endswith(f"/api/v1/public-photos/{added.json()['id']}")
    path = found["media_url"].split("127.0.0.1:8000", 1)[-1]
    download = await client.get(path)
    assert download.status_code == 200
    assert download.content == photo
    assert (
        await client.get("/api/v1/public-photos/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12)
    ).status_code == 404


async def test_text_the_database_cannot_store_is_a_georeport_400_not_a_500(
    client: Client,
) -> None:
    for path in ("services/%00", "requests/%00"):
        for suffix in (".json", ".xml"):
            answer = await client.get(f"{BASE}/{path}{suffix}")
            assert 400 <= answer.status_code < 500, (path, suffix, answer.status_code)
            if suffix == ".json":
                assert answer.json()[0]["code"] == answer.status_code
            else:
                assert answer.text.lstrip().startswith("<?xml")
                assert "<errors>" in answer.text
