"""The public catalogue API: fields of api.md, languages, versions, ETag/304, Mermaid, 404s."""

from __future__ import annotations

import jsonschema_rs
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.contract.helpers import SERVICE_FIELDS

Client = AsyncTestClient[Litestar]

CODES = [
    "bewohnerparkausweis",
    "hundeanmeldung",
    "meldebescheinigung",
    "sondernutzung",
    "strassenschaden",
]


async def test_services_list_has_the_fields_of_the_contract(client: Client) -> None:
    response = await client.get("/api/v1/services")
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    assert [s["code"] for s in body["items"]] == CODES
    for service in body["items"]:
        assert service.keys() >= SERVICE_FIELDS
        assert service["location"] in {"required", "optional", "none"}
    parking = body["items"][0]
    assert parking["title"] == "Bewohnerparkausweis"
    assert parking["department"] == "verkehr"
    assert parking["workflow"] == {"name": "permit", "version": 1}
    assert parking["fee"] == {"amount_cents": 3060, "currency": "EUR"}
    assert parking["sla"] == {"business_days": 10}
    assert parking["required_documents"] == [
        {
            "kind": "fahrzeugschein",
            "label": "Zulassungsbescheinigung Teil I (Fahrzeugschein)",
            "types": ["application/pdf", "image/jpeg", "image/png"],
            "max_bytes": 10485760,
            "required": True,
        }
    ]


async def test_every_served_form_carries_examples_that_validate(client: Client) -> None:
    for service in (await client.get("/api/v1/services")).json()["items"]:
        schema = service["form_schema"]
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["examples"], service["code"]
        validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        for example in schema["examples"]:
            assert validator.is_valid(example), (service["code"], example)


async def test_labels_follow_lang_then_accept_language_then_german(client: Client) -> None:
    english = (await client.get("/api/v1/services/hundeanmeldung?lang=en")).json()
    assert english["title"] == "Dog registration (dog tax)"
    assert english["department_name"] == "Tax office"
    by_header = await client.get(
        "/api/v1/services/hundeanmeldung",
        headers={"Accept-Language": "fr-FR, en-GB;q=0.8, de;q=0.5"},
    )
    assert by_header.json()["title"] == "Dog registration (dog tax)"
    assert "Accept-Language" in by_header.headers["vary"]
    german = (await client.get("/api/v1/services/hundeanmeldung")).json()
    assert german["title"] == "Hundeanmeldung (Hundesteuer)"
    explicit = await client.get(
        "/api/v1/services/hundeanmeldung?lang=de", headers={"Accept-Language": "en"}
    )
    assert explicit.json()["title"] == "Hundeanmeldung (Hundesteuer)"


async def test_unsupported_lang_is_400_problem(client: Client) -> None:
    response = await client.get("/api/v1/services?lang=fr")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "lang" in response.json()["detail"]


async def test_service_by_code_and_pinned_version(client: Client) -> None:
    latest = await client.get("/api/v1/services/strassenschaden")
    assert latest.status_code == 200
    body = latest.json()
    assert (body["version"], body["location"], body["public"]) == (2, "required", True)
    assert body["required_documents"][0]["required"] is False
    pinned = await client.get("/api/v1/services/strassenschaden?version=2")
    assert pinned.json() == body
    first = await client.get("/api/v1/services/strassenschaden?version=1")
    assert first.json()["workflow"] == {"name": "public-report", "version": 1}
    assert body["workflow"] == {"name": "public-report", "version": 2}


async def test_unknown_service_or_version_is_404_problem(client: Client) -> None:
    for path in ("/api/v1/services/fischereischein", "/api/v1/services/hundeanmeldung?version=9"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 404


async def test_invalid_version_is_400_not_500(client: Client) -> None:
    for query in ("version=abc", "version=0", "version=-1"):
        response = await client.get(f"/api/v1/services/hundeanmeldung?{query}")
        assert response.status_code == 400, query


async def test_responses_are_cacheable_and_revalidate_with_304(client: Client) -> None:
    first = await client.get("/api/v1/services/meldebescheinigung")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = await client.get("/api/v1/services/meldebescheinigung", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = await client.get(
        "/api/v1/services/meldebescheinigung", headers={"If-None-Match": f'"other", W/{etag}'}
    )
    assert weak.status_code == 304
    english = await client.get(
        "/api/v1/services/meldebescheinigung?lang=en", headers={"If-None-Match": etag}
    )
    assert english.status_code == 200
    assert english.headers["etag"] != etag
    listing = await client.get("/api/v1/services")
    assert (
        await client.get("/api/v1/services", headers={"If-None-Match": listing.headers["etag"]})
    ).status_code == 304


async def test_services_list_pages_by_cursor(client: Client) -> None:
    first = (await client.get("/api/v1/services?limit=2")).json()
    assert [s["code"] for s in first["items"]] == CODES[:2]
    second = (await client.get(f"/api/v1/services?limit=2&cursor={first['next_cursor']}")).json()
    assert [s["code"] for s in second["items"]] == CODES[2:4]
    third = (await client.get(f"/api/v1/services?limit=2&cursor={second['next_cursor']}")).json()
    assert [s["code"] for s in third["items"]] == CODES[4:]
    assert third["next_cursor"] is None


async def test_bad_limit_or_cursor_is_400(client: Client) -> None:
    assert (await client.get("/api/v1/services?limit=101")).status_code == 400
    assert (await client.get("/api/v1/services?limit=0")).status_code == 400
    assert (await client.get("/api/v1/services?cursor=not-a-cursor")).status_code == 400


async def test_workflow_definition_is_served_with_states_and_transitions(client: Client) -> None:
    response = await client.get("/api/v1/workflows/permit?lang=en")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["version"], body["initial_state"]) == ("permit", 1, "draft")
    states = {s["name"]: s for s in body["states"]}
    assert states["awaiting_info"]["sla"] == "paused"
    assert states["awaiting_info"]["timer"] == {
        "after": "30d",
        "seconds": 2592000,
        "transition": "expire",
    }
    assert states["approved"]["terminal"] is True
    transitions = {t["name"]: t for t in body["transitions"]}
    assert transitions["reject"]["from"] == ["submitted", "in_review"]
    assert transitions["reject"]["requires"] == {"comment": True, "fields": [], "documents": []}
    assert transitions["mark_paid"]["actors"] == ["client", "clerk", "system"]
    assert transitions["approve"]["label"] == "Approve"
    assert response.headers["etag"]


async def test_workflow_as_mermaid_state_diagram(client: Client) -> None:
    response = await client.get("/api/v1/workflows/public-report?format=mermaid")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    diagram = response.text
    assert "stateDiagram-v2" in diagram
    assert "[*] --> draft" in diagram
    assert (
        "submitted --> duplicate : Als Duplikat schließen (mark_duplicate by clerk) [needs comment]"
        in diagram
    )
    assert "fixed --> [*]" in diagram
    asked = await client.get(
        "/api/v1/workflows/public-report?format=mermaid", headers={"Accept": "text/vnd.mermaid"}
    )
    assert asked.headers["content-type"].startswith("text/vnd.mermaid")


async def test_unknown_workflow_or_format_is_a_problem(client: Client) -> None:
    assert (await client.get("/api/v1/workflows/nothing")).status_code == 404
    assert (await client.get("/api/v1/workflows/permit?version=2")).status_code == 404
    assert (await client.get("/api/v1/workflows/permit?format=png")).status_code == 400


async def test_form_fields_keep_the_order_of_the_form_file(client: Client) -> None:
    import json

    from tests.conftest import REPO

    path = REPO / "services" / "hundeanmeldung.v1.form.json"
    in_file = list(json.loads(path.read_text(encoding="utf-8"))["properties"])
    served = (await client.get("/api/v1/services/hundeanmeldung")).json()["form_schema"]
    assert list(served["properties"]) == in_file
    assert in_file[:3] == ["vorname", "nachname", "geburtsdatum"]


async def test_form_labels_follow_the_language_without_translation_keys(client: Client) -> None:
    english = (await client.get("/api/v1/services/hundeanmeldung?lang=en")).json()["form_schema"]
    german = (await client.get("/api/v1/services/hundeanmeldung?lang=de")).json()["form_schema"]
    assert english["properties"]["chipnummer"]["title"] == "Transponder (chip) number"
    assert german["properties"]["chipnummer"]["title"] == "Transpondernummer (Chip)"
    assert english["properties"]["chipnummer"]["description"].startswith("15-digit")
    for schema in (english, german):
        assert "x-title-en" not in str(schema)
        assert schema["examples"] == german["examples"]


async def test_enum_titles_are_served_inside_the_form_in_both_languages(client: Client) -> None:
    import json

    from tests.conftest import REPO

    path = REPO / "services" / "strassenschaden.v1.form.json"
    in_file = json.loads(path.read_text(encoding="utf-8"))["properties"]["kategorie"]
    for lang in ("de", "en"):
        served = (await client.get(f"/api/v1/services/strassenschaden?lang={lang}")).json()
        kategorie = served["form_schema"]["properties"]["kategorie"]
        assert kategorie["enum"] == in_file["enum"]
        assert kategorie["x-enum-titles"] == in_file["x-enum-titles"]
        assert kategorie["x-enum-titles"]["en"]["schlagloch"] == "Pothole"
