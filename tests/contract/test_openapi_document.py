"""The served OpenAPI document states the constraints the server enforces (read as a client)."""

from __future__ import annotations

from typing import Any

from tests.contract.helpers import Client
from tests.requests.helpers import file_request
from tests.support.auth import MakeCitizen

IF_MATCH_OPERATIONS = [
    ("patch", "/api/v1/requests/{request_id}"),
    ("post", "/api/v1/requests/{request_id}/transitions"),
    ("put", "/api/v1/requests/{request_id}/assignee"),
]


async def _document(client: Client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    verbs = {"get", "post", "put", "patch", "delete"}
    return [
        (verb, path, operation)
        for path, item in document["paths"].items()
        for verb, operation in item.items()
        if verb in verbs
    ]


async def test_every_json_body_refuses_unknown_fields_as_the_server_does(client: Client) -> None:
    document = await _document(client)
    components = document["components"]["schemas"]
    bodies = []
    for verb, path, operation in _operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            bodies.append((verb, path, name))
            assert components[name]["additionalProperties"] is False, (verb, path, name)
    assert len(bodies) >= 12
    # Nested objects too (a location inside a filing).
    assert components["LocationIn"]["additionalProperties"] is False


async def test_constraints_on_list_items_and_sizes_are_documented(client: Client) -> None:
    components = (await _document(client))["components"]["schemas"]
    scope = components["ClientCreateIn"]["properties"]["scopes"]["items"]
    assert scope["minLength"] == 3
    assert scope["pattern"] == "^[a-z][a-z_]*:[a-z][a-z_]*$"
    assert components["FilingIn"]["properties"]["data"]["maxProperties"] == 200
    assert components["RegisterIn"]["properties"]["password"]["minLength"] == 12
    staff = components["StaffCreateIn"]
    assert staff["then"]["properties"]["departments"]["minItems"] == 1


async def test_list_parameters_state_their_limits_and_never_null(client: Client) -> None:
    document = await _document(client)
    limits = 0
    for verb, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            assert "oneOf" not in schema, (path, schema)
            assert "null" not in str(schema.get("type")), (path, schema)
            if parameter["name"] == "limit":
                limits += 1
                assert (schema["minimum"], schema["maximum"]) == (1, 100), (verb, path)
            if parameter["name"] == "cursor":
                assert schema["pattern"] == "^[A-Za-z0-9_-]+$", (verb, path)
    assert limits >= 8


async def test_if_match_is_required_where_the_service_answers_428_without_it(
    client: Client,
) -> None:
    paths = (await _document(client))["paths"]
    for verb, path in IF_MATCH_OPERATIONS:
        (if_match,) = [p for p in paths[path][verb]["parameters"] if p["name"] == "If-Match"]
        assert if_match["required"] is True, (verb, path)
        assert if_match["schema"]["pattern"] == '^(?:\\*|(?:W/)?"?([0-9]{1,9})"?)$'


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


async def test_transition_requirements_document_missing_documents(client: Client) -> None:
    document = await _document(client)
    listing = document["paths"]["/api/v1/requests/{request_id}/transitions"]["get"]
    answer = listing["responses"]["200"]["content"]["application/json"]["schema"]
    transition = _resolve(document, answer["items"])
    requirements = _resolve(document, transition["properties"]["requires"])
    assert set(requirements["required"]) >= {"documents", "missing_documents"}
    missing = _resolve(document, requirements["properties"]["missing_documents"]["items"])
    assert set(missing["required"]) == {"kind", "label"}


async def test_if_match_as_declared_star_is_412_and_a_garbled_one_400(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    draft = await file_request(client, citizen, "hundeanmeldung", submit=False)
    url = f"/api/v1/requests/{draft['id']}"
    answers = {}
    for if_match in ("*", "three", f'"{draft["version"]}"'):
        response = await client.patch(
            url, json={}, headers={**citizen.headers, "If-Match": if_match}
        )
        answers[if_match] = response.status_code
    assert answers == {"*": 412, "three": 400, f'"{draft["version"]}"': 200}
