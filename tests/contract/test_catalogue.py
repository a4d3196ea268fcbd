"""api.md "Catalogue": services with labels per language, versions, workflows and diagrams."""

from __future__ import annotations

from tests.contract.helpers import SERVICE_FIELDS, Client, assert_problem


async def test_services_list_has_every_contract_field(client: Client) -> None:
    response = await client.get("/api/v1/services")
    assert response.status_code == 200
    page = response.json()
    assert set(page) >= {"items", "next_cursor"}
    codes = {s["code"] for s in page["items"]}
    assert codes >= {"hundeanmeldung", "strassenschaden", "bewohnerparkausweis"}
    for item in page["items"]:
        assert set(item) >= SERVICE_FIELDS, item["code"]
        assert item["location"] in ("required", "optional", "none")
        schema = item["form_schema"]
        assert schema["$schema"].endswith("2020-12/schema")
        assert schema["examples"], item["code"]


async def test_language_from_lang_then_accept_language_else_german(client: Client) -> None:
    path = "/api/v1/services/strassenschaden"
    default = (await client.get(path)).json()
    english = (await client.get(path, params={"lang": "en"})).json()
    by_header = (await client.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"})).json()
    lang_wins = (
        await client.get(path, params={"lang": "de"}, headers={"Accept-Language": "en"})
    ).json()
    assert default["title"] == "Straßenschaden melden"
    assert english["title"] == "Report damage on a public road"
    assert by_header["title"] == english["title"]
    assert lang_wins["title"] == default["title"]


async def test_service_by_code_and_version(client: Client) -> None:
    latest = await client.get("/api/v1/services/hundeanmeldung")
    assert latest.status_code == 200
    assert latest.json()["version"] == 1
    v1 = await client.get("/api/v1/services/hundeanmeldung", params={"version": 1})
    assert v1.status_code == 200
    assert v1.json()["version"] == 1
    assert_problem(await client.get("/api/v1/services/hundeanmeldung?version=99"), 404)
    assert_problem(await client.get("/api/v1/services/gibt-es-nicht"), 404)


async def test_workflow_definition_version_and_mermaid(client: Client) -> None:
    workflow = await client.get("/api/v1/workflows/registration")
    assert workflow.status_code == 200
    body = workflow.json()
    assert body["name"] == "registration"
    assert body["version"] == 1
    assert {s["name"] for s in body["states"]} >= {"draft", "submitted", "registered"}
    assert (await client.get("/api/v1/workflows/registration?version=1")).status_code == 200
    diagram = await client.get("/api/v1/workflows/registration", params={"format": "mermaid"})
    assert diagram.status_code == 200
    assert "\nstateDiagram-v2\n" in diagram.text
    assert "submitted" in diagram.text
    assert_problem(await client.get("/api/v1/workflows/registration?version=42"), 404)
    assert_problem(await client.get("/api/v1/workflows/keiner"), 404)


async def test_bad_catalogue_parameters_are_4xx_problems(client: Client) -> None:
    for path in (
        "/api/v1/services?limit=101",
        "/api/v1/services/hundeanmeldung?version=abc",
        "/api/v1/workflows/registration?format=png",
    ):
        response = await client.get(path)
        assert 400 <= response.status_code < 500, path
        assert_problem(response, response.status_code)
