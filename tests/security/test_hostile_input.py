"""Hostile bodies on every writing endpoint: always a 4xx problem, never a 500 or a hang."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.requests.helpers import file_request, filing
from tests.support.auth import Caller

Client = AsyncTestClient[Litestar]
JSON = {"Content-Type": "application/json"}


def _assert_problem(response: Any, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")


async def _post_raw(client: Client, caller: Caller, path: str, body: bytes) -> Any:
    return await client.post(path, content=body, headers={**caller.headers, **JSON})


@pytest.mark.parametrize("depth", [64, 10_000])
async def test_deeply_nested_form_data_is_a_4xx(
    client: Client, citizen: Caller, depth: int
) -> None:
    body = filing("hundeanmeldung")
    body["data"]["extra"] = "PLACEHOLDER"
    raw = json.dumps(body).replace('"PLACEHOLDER"', "[" * depth + "1" + "]" * depth)
    response = await _post_raw(client, citizen, "/api/v1/requests", raw.encode())
    if depth == 64:
        # Decodable, but deeper than the storable bound: 422 that points at the place.
        _assert_problem(response, 422)
        assert response.json()["errors"][0]["pointer"].startswith("/data/extra/0/0")
    else:
        _assert_problem(response, 400)


async def test_nul_byte_in_form_data_is_a_422_not_a_500(client: Client, citizen: Caller) -> None:
    body = filing("hundeanmeldung")
    for key, value in body["data"].items():
        if isinstance(value, str):
            body["data"][key] = value + "\u0000"
            break
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    _assert_problem(response, 400, 422)


async def test_nul_byte_in_an_unknown_form_key_is_a_4xx(client: Client, citizen: Caller) -> None:
    body = filing("hundeanmeldung")
    body["data"]["k\u0000ey"] = "v"
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    _assert_problem(response, 400, 422)


async def test_nul_byte_in_a_comment_is_a_422(client: Client, citizen: Caller) -> None:
    request = await file_request(client, citizen)
    response = await client.post(
        f"/api/v1/requests/{request['id']}/comments",
        json={"body": "hallo\u0000welt"},
        headers=citizen.headers,
    )
    _assert_problem(response, 400, 422)


async def test_nul_byte_in_a_location_address_is_a_422(client: Client, citizen: Caller) -> None:
    body = filing("strassenschaden")
    body["location"] = {**body["location"], "address": "Breite\u0000Straße"}
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    _assert_problem(response, 400, 422)


async def test_nul_byte_in_a_transition_comment_is_a_422(client: Client, citizen: Caller) -> None:
    request = await file_request(client, citizen, submit=False)
    response = await client.post(
        f"/api/v1/requests/{request['id']}/transitions",
        json={"transition": "submit", "comment": "a\u0000b"},
        headers={**citizen.headers, "If-Match": f'"{request["version"]}"'},
    )
    _assert_problem(response, 400, 422)


async def test_nul_byte_in_a_draft_patch_is_a_422(client: Client, citizen: Caller) -> None:
    request = await file_request(client, citizen, submit=False)
    data = dict(request["data"])
    data["x\u0000"] = "\u0000"
    response = await client.patch(
        f"/api/v1/requests/{request['id']}",
        json={"data": data},
        headers={**citizen.headers, "If-Match": f'"{request["version"]}"'},
    )
    _assert_problem(response, 400, 422)


async def test_nul_byte_in_registration_and_login_is_a_4xx(client: Client) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "a\u0000@example.org", "password": "x" * 20, "display_name": "A\u0000"},
    )
    _assert_problem(response, 400, 422)
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "a\u0000@example.org", "password": "p\u0000"},
    )
    assert response.status_code in (400, 401, 422), response.text


async def test_five_megabyte_string_is_413(client: Client, citizen: Caller) -> None:
    body = filing("hundeanmeldung")
    body["data"]["extra"] = "x" * 5_000_000
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    _assert_problem(response, 413)


async def test_long_strings_under_the_body_limit_are_refused(
    client: Client, citizen: Caller
) -> None:
    body = filing("hundeanmeldung")
    body["data"]["extra"] = "x" * 900_000
    response = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    _assert_problem(response, 400, 413, 422)


async def test_huge_numbers_are_a_4xx(client: Client, citizen: Caller) -> None:
    body = filing("hundeanmeldung")
    body["data"]["extra"] = "PLACEHOLDER"
    for number in ("1" * 5000, "1e999999", "-1e999999", "1" * 400 + ".5e-999999"):
        raw = json.dumps(body).replace('"PLACEHOLDER"', number)
        response = await _post_raw(client, citizen, "/api/v1/requests", raw.encode())
        _assert_problem(response, 400, 422)


async def test_object_with_a_hundred_thousand_keys_is_a_4xx(
    client: Client, citizen: Caller
) -> None:
    body = filing("hundeanmeldung")
    body["data"]["extra"] = {f"k{i}": 0 for i in range(100_000)}
    raw = json.dumps(body, separators=(",", ":")).encode()
    response = await _post_raw(client, citizen, "/api/v1/requests", raw)
    _assert_problem(response, 400, 413, 422)


async def test_invalid_utf8_is_a_400(client: Client, citizen: Caller) -> None:
    raw = json.dumps(filing("hundeanmeldung")).encode().replace(b"}", b', "x": "\xff\xfe"}', 1)
    response = await _post_raw(client, citizen, "/api/v1/requests", raw)
    _assert_problem(response, 400, 422)


async def test_lone_surrogate_escape_is_a_4xx(client: Client, citizen: Caller) -> None:
    body = filing("hundeanmeldung")
    body["data"]["extra"] = "PLACEHOLDER"
    raw = json.dumps(body).replace('"PLACEHOLDER"', '"\\ud800"')
    response = await _post_raw(client, citizen, "/api/v1/requests", raw.encode())
    _assert_problem(response, 400, 422)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "9" * 40])
async def test_page_size_out_of_bounds_is_400(client: Client, citizen: Caller, limit: str) -> None:
    response = await client.get(f"/api/v1/requests?limit={limit}", headers=citizen.headers)
    _assert_problem(response, 400, 422)


async def test_garbage_cursor_and_query_with_nul_are_4xx(client: Client, citizen: Caller) -> None:
    for query in ("cursor=%00%ff", "cursor=" + "A" * 5000, "q=%00", "state=%00"):
        response = await client.get(f"/api/v1/requests?{query}", headers=citizen.headers)
        assert response.status_code < 500, (query, response.text)


async def test_nul_bytes_in_upload_filename_and_kind_never_reach_the_database(
    client: Client, citizen: Caller
) -> None:
    draft = await file_request(client, citizen, "strassenschaden", submit=False)
    url = f"/api/v1/requests/{draft['id']}/attachments"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    for filename, kind in (("sch\x00aden.png", "foto"), ("schaden.png", "fo\x00to")):
        response = await client.post(
            url,
            files={"file": (filename, png, "image/png")},
            data={"kind": kind},
            headers=citizen.headers,
        )
        assert response.status_code < 500, (filename, kind, response.text)
        if response.status_code == 201:
            # The name is cleaned (control characters dropped) rather than refused.
            assert "\x00" not in response.json()["filename"]
            assert kind == "foto"


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"null", b"1", b"", b"{", b"\x00", b"{}" * 3])
async def test_bodies_that_are_not_one_json_object_are_4xx(
    client: Client, citizen: Caller, raw: bytes
) -> None:
    request = await file_request(client, citizen)
    for path in ("/api/v1/requests", f"/api/v1/requests/{request['id']}/comments"):
        response = await _post_raw(client, citizen, path, raw)
        _assert_problem(response, 400, 415, 422)


async def test_deep_nesting_is_refused_on_every_json_endpoint(
    client: Client, citizen: Caller
) -> None:
    request = await file_request(client, citizen)
    deep = b'{"body": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    for path in (
        f"/api/v1/requests/{request['id']}/comments",
        f"/api/v1/requests/{request['id']}/transitions",
        "/api/v1/auth/register",
    ):
        response = await _post_raw(client, citizen, path, deep)
        assert 400 <= response.status_code < 500, (path, response.text)
