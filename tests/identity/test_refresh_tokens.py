"""Refresh tokens: opaque, stored hashed, rotated on every use; reuse revokes the family."""

from __future__ import annotations

import asyncio
import hashlib

import asyncpg

from tests.identity.helpers import FORM, Client, bearer, password_login, refresh
from tests.support.auth import Caller


async def _login(client: Client, caller: Caller) -> dict[str, str]:
    response = await password_login(client, caller.email or "", caller.password or "")
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def test_refresh_rotates_and_gives_a_working_access_token(
    client: Client, citizen: Caller
) -> None:
    first = await _login(client, citizen)
    rotated = await refresh(client, first["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["refresh_token"] != first["refresh_token"]
    me = await client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == str(citizen.id)


async def test_refresh_tokens_are_stored_only_as_hashes(
    client: Client, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    token = (await _login(client, citizen))["refresh_token"]
    rows = await raw_connection.fetch("SELECT token_hash FROM refresh_tokens")
    assert [bytes(r["token_hash"]) for r in rows] == [hashlib.sha256(token.encode()).digest()]
    dump = str(await raw_connection.fetch("SELECT * FROM refresh_tokens"))
    assert token not in dump


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    client: Client, citizen: Caller
) -> None:
    first = await _login(client, citizen)
    second = (await refresh(client, first["refresh_token"])).json()
    replay = await refresh(client, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # the legitimate newest token of that family is dead too
    after = await refresh(client, second["refresh_token"])
    assert after.status_code == 400
    assert after.json()["error"] == "invalid_grant"


async def test_reuse_revocation_leaves_other_sessions_alone(
    client: Client, citizen: Caller
) -> None:
    laptop = await _login(client, citizen)
    phone = await _login(client, citizen)
    await refresh(client, laptop["refresh_token"])
    await refresh(client, laptop["refresh_token"])  # replay: laptop family revoked
    assert (await refresh(client, phone["refresh_token"])).status_code == 200


async def test_concurrent_use_of_one_refresh_token_succeeds_once(
    client: Client, citizen: Caller
) -> None:
    token = (await _login(client, citizen))["refresh_token"]
    results = await asyncio.gather(*(refresh(client, token) for _ in range(4)))
    assert sorted(r.status_code for r in results) == [200, 400, 400, 400]


async def test_revoke_ends_the_session_and_is_200_for_unknown_tokens(
    client: Client, citizen: Caller
) -> None:
    token = (await _login(client, citizen))["refresh_token"]
    revoked = await client.post("/api/v1/auth/revoke", data={"token": token}, headers=FORM)
    assert revoked.status_code == 200
    assert (await refresh(client, token)).json()["error"] == "invalid_grant"
    unknown = await client.post("/api/v1/auth/revoke", data={"token": "rt_nope"}, headers=FORM)
    assert unknown.status_code == 200


async def test_token_endpoint_errors_use_rfc6749_form(client: Client) -> None:
    unsupported = await client.post(
        "/api/v1/auth/token", data={"grant_type": "implicit"}, headers=FORM
    )
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"
    missing = await client.post("/api/v1/auth/token", data={"grant_type": "password"}, headers=FORM)
    assert missing.json()["error"] == "invalid_request"
    as_json = await client.post("/api/v1/auth/token", json={"grant_type": "password"})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    repeated = await client.post(
        "/api/v1/auth/token",
        content="grant_type=password&grant_type=refresh_token",
        headers=FORM,
    )
    assert repeated.json()["error"] == "invalid_request"


async def test_token_endpoint_answers_odd_bodies_without_a_500(client: Client) -> None:
    odd = [
        (b"\xff\xfe\x00garbage=\xff", FORM),
        (b"grant_type=password&username=%FF%FE&password=x", FORM),
        (b"%%%%&&&===", FORM),
        (b"grant_type=password", {"Content-Type": "multipart/form-data; boundary=x"}),
        (b"grant_type=password", {}),
        (b"a=" + b"x" * 5000, FORM),
    ]
    for body, headers in odd:
        response = await client.post("/api/v1/auth/token", content=body, headers=headers)
        assert 400 <= response.status_code < 500, (body[:40], response.text)
        assert "error" in response.json()
