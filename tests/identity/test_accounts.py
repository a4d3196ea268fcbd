"""Registration, login with the password grant, and /me."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.auth import Caller

Client = AsyncTestClient[Litestar]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PASSWORD = "Stadtwerke-Kiel-2026"


async def register(client: Client, email: str = "Anna@Example.org", **extra: object):
    body = {"email": email, "password": PASSWORD, "display_name": "Anna Beispiel", **extra}
    return await client.post("/api/v1/auth/register", json=body)


async def login(client: Client, username: str, password: str = PASSWORD):
    return await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
        headers=FORM,
    )


async def test_citizen_registers_logs_in_and_sees_herself(client: Client) -> None:
    created = await register(client)
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["email"] == "anna@example.org"
    assert account["roles"] == ["citizen"]
    assert account["email_verified"] is False
    assert "password" not in created.text

    token = await login(client, "ANNA@example.org")
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 900
    assert body["refresh_token"].startswith("rt_")
    assert token.headers["cache-control"] == "no-store"

    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["id"] == account["id"]
    assert me.json()["display_name"] == "Anna Beispiel"
    assert me.json()["locale"] == "de"


async def test_registration_with_taken_email_is_409_case_insensitive(client: Client) -> None:
    assert (await register(client, "taken@example.org")).status_code == 201
    again = await register(client, "TAKEN@Example.ORG")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_registration_with_weak_password_is_422_with_pointer(client: Client) -> None:
    short = await client.post(
        "/api/v1/auth/register",
        json={"email": "x@example.org", "password": "kurz", "display_name": "X"},
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["pointer"] == "/password"
    assert "12" in short.json()["errors"][0]["message"]
    common = await client.post(
        "/api/v1/auth/register",
        json={"email": "x@example.org", "password": "Password1234", "display_name": "X"},
    )
    assert common.status_code == 422
    assert common.json()["errors"][0]["pointer"] == "/password"
    assert "common" in common.json()["errors"][0]["message"]


async def test_registration_with_invalid_email_is_422_with_pointer(client: Client) -> None:
    response = await register(client, "not-an-email")
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/email"


async def test_registration_rejects_unknown_fields(client: Client) -> None:
    response = await register(client, "y@example.org", roles=["admin"])
    assert response.status_code == 422


async def test_wrong_password_and_unknown_account_answer_alike(client: Client) -> None:
    await register(client, "known@example.org")
    wrong = await login(client, "known@example.org", "Wrong-password-123")
    unknown = await login(client, "nobody@example.org", "Wrong-password-123")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "invalid_grant"


async def test_fixture_callers_have_working_tokens(
    client: Client, citizen: Caller, other_citizen: Caller, make_staff, make_api_client
) -> None:
    assert citizen.id != other_citizen.id
    me = await client.get("/api/v1/me", headers=citizen.headers)
    assert me.status_code == 200
    assert me.json()["email_verified"] is True
    clerk = await make_staff("clerk", ["verkehr", "umwelt"])
    staff_me = await client.get("/api/v1/me", headers=clerk.headers)
    assert staff_me.json()["roles"] == ["clerk"]
    assert staff_me.json()["departments"] == ["umwelt", "verkehr"]
    integration = await make_api_client(["requests:read"], services=["parkausweis"])
    client_me = await client.get("/api/v1/me", headers=integration.headers)
    assert client_me.status_code == 200
    assert client_me.json()["client_id"] == integration.client_id
    assert client_me.json()["scopes"] == ["requests:read"]
    assert client_me.json()["services"] == ["parkausweis"]


async def test_me_without_token_is_401_problem(client: Client) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_registration_with_idempotency_key_replays_instead_of_409(client: Client) -> None:
    body = {"email": "retry@example.org", "password": PASSWORD, "display_name": "Retry"}
    headers = {"Idempotency-Key": "reg-1"}
    first = await client.post("/api/v1/auth/register", json=body, headers=headers)
    again = await client.post("/api/v1/auth/register", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    other = await client.post(
        "/api/v1/auth/register", json={**body, "display_name": "Other"}, headers=headers
    )
    assert other.status_code == 422
    without_key = await client.post("/api/v1/auth/register", json=body)
    assert without_key.status_code == 409
