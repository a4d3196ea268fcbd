"""api.md "General": every error — routing, media type, size, bad ids — is an RFC 9457 problem."""

from __future__ import annotations

from tests.contract.helpers import Client, assert_problem
from tests.requests.helpers import filing
from tests.support.auth import MakeCitizen


async def test_unknown_path_and_wrong_verb_are_problems(client: Client) -> None:
    assert_problem(await client.get("/api/v1/gibt-es-nicht"), 404)
    assert_problem(await client.delete("/api/v1/services"), 405)


async def test_malformed_request_id_is_404_problem(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    assert_problem(await client.get("/api/v1/requests/not-a-uuid", headers=citizen.headers), 404)


async def test_non_json_body_is_a_4xx_problem(client: Client, make_citizen: MakeCitizen) -> None:
    citizen = await make_citizen()
    response = await client.post(
        "/api/v1/requests",
        content=b"service=hundeanmeldung",
        headers={**citizen.headers, "Content-Type": "text/plain"},
    )
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


async def test_oversized_body_is_413_problem(client: Client, make_citizen: MakeCitizen) -> None:
    citizen = await make_citizen()
    body = filing("hundeanmeldung")
    body["data"]["padding"] = "x" * 3_000_000
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    assert_problem(response, 413)


async def test_invalid_token_is_401_with_www_authenticate(client: Client) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_wrong_json_type_points_at_the_field(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    body = {**filing("hundeanmeldung"), "submit": "yes"}
    problem = assert_problem(
        await client.post("/api/v1/requests", json=body, headers=citizen.headers), 422
    )
    assert [e["pointer"] for e in problem["errors"]] == ["/submit"]


async def test_parameter_errors_name_the_parameter_as_sent(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    response = await client.post(
        "/api/v1/requests",
        json=filing("hundeanmeldung"),
        headers={**citizen.headers, "Idempotency-Key": ""},
    )
    problem = assert_problem(response, 400)
    assert [e["pointer"] for e in problem["errors"]] == ["header:Idempotency-Key"]
    response = await client.get("/api/v1/services/hundeanmeldung", params={"version": "abc"})
    problem = assert_problem(response, 400)
    assert [e["pointer"] for e in problem["errors"]] == ["query:version"]
