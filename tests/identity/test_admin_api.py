"""The admin API for staff accounts and API clients (admin role only)."""

from __future__ import annotations

from tests.identity.helpers import FORM, Client, bearer, password_login
from tests.support.auth import Caller, MakeStaff

STAFF = {
    "email": "neu@stadt.example",
    "password": "Ein-sicheres-Passwort-42",
    "roles": ["supervisor"],
    "departments": ["verkehr"],
    "display_name": "Neue Sachgebietsleitung",
}


async def test_admin_creates_staff_who_can_log_in(client: Client, make_staff: MakeStaff) -> None:
    admin = await make_staff("admin", [])
    created = await client.post("/api/v1/admin/users", json=STAFF, headers=admin.headers)
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["supervisor"]
    assert created.json()["kind"] == "staff"
    login = await password_login(client, STAFF["email"], STAFF["password"])  # type: ignore[arg-type]
    assert login.status_code == 200


async def test_non_admins_may_not_use_the_admin_api(
    client: Client, make_staff: MakeStaff, citizen: Caller
) -> None:
    clerk = await make_staff("clerk")
    supervisor = await make_staff("supervisor")
    for caller in [clerk, supervisor, citizen]:
        response = await client.post("/api/v1/admin/users", json=STAFF, headers=caller.headers)
        assert response.status_code == 403
        listing = await client.get("/api/v1/admin/clients", headers=caller.headers)
        assert listing.status_code == 403
    assert (await client.get("/api/v1/admin/users")).status_code == 401


async def test_staff_creation_checks_roles_and_departments(
    client: Client, make_staff: MakeStaff
) -> None:
    admin = await make_staff("admin", [])
    no_department = await client.post(
        "/api/v1/admin/users", json={**STAFF, "departments": []}, headers=admin.headers
    )
    assert no_department.status_code == 422
    assert no_department.json()["errors"][0]["pointer"] == "/departments"
    citizen_role = await client.post(
        "/api/v1/admin/users", json={**STAFF, "roles": ["citizen"]}, headers=admin.headers
    )
    assert citizen_role.status_code == 422
    await client.post("/api/v1/admin/users", json=STAFF, headers=admin.headers)
    taken = await client.post("/api/v1/admin/users", json=STAFF, headers=admin.headers)
    assert taken.status_code == 409


async def test_staff_list_pages_with_a_cursor(client: Client, make_staff: MakeStaff) -> None:
    admin = await make_staff("admin", [])
    for _ in range(4):
        await make_staff("clerk")
    first = await client.get("/api/v1/admin/users?limit=3", headers=admin.headers)
    assert first.status_code == 200
    assert len(first.json()["items"]) == 3
    cursor = first.json()["next_cursor"]
    second = await client.get(f"/api/v1/admin/users?limit=3&cursor={cursor}", headers=admin.headers)
    assert len(second.json()["items"]) == 2
    assert second.json()["next_cursor"] is None
    ids = {i["id"] for i in first.json()["items"] + second.json()["items"]}
    assert len(ids) == 5
    too_big = await client.get("/api/v1/admin/users?limit=500", headers=admin.headers)
    assert too_big.status_code == 400


async def test_deactivated_staff_can_no_longer_log_in_or_refresh(
    client: Client, make_staff: MakeStaff
) -> None:
    admin = await make_staff("admin", [])
    clerk = await make_staff("clerk")
    session = await password_login(client, clerk.email or "", clerk.password or "")
    changed = await client.patch(
        f"/api/v1/admin/users/{clerk.id}",
        json={"active": False, "departments": ["umwelt"]},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False
    assert changed.json()["departments"] == ["umwelt"]
    assert (
        await password_login(client, clerk.email or "", clerk.password or "")
    ).status_code == 400
    refreshed = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": session.json()["refresh_token"]},
        headers=FORM,
    )
    assert refreshed.status_code == 400
    missing = await client.patch(
        "/api/v1/admin/users/00000000-0000-0000-0000-000000000000",
        json={"active": False},
        headers=admin.headers,
    )
    assert missing.status_code == 404


async def test_admin_creates_and_deactivates_api_clients(
    client: Client, make_staff: MakeStaff
) -> None:
    admin = await make_staff("admin", [])
    created = await client.post(
        "/api/v1/admin/clients",
        json={"name": "Fachverfahren", "scopes": ["requests:read"], "services": ["parkausweis"]},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    credentials = {
        "grant_type": "client_credentials",
        "client_id": body["client_id"],
        "client_secret": body["client_secret"],
    }
    token = await client.post("/api/v1/auth/token", data=credentials, headers=FORM)
    assert token.status_code == 200
    listing = await client.get("/api/v1/admin/clients", headers=admin.headers)
    assert [c["client_id"] for c in listing.json()["items"]] == [body["client_id"]]
    assert "client_secret" not in listing.text
    assert "secret_hash" not in listing.text
    gone = await client.delete(f"/api/v1/admin/clients/{body['id']}", headers=admin.headers)
    assert gone.status_code == 204
    refused = await client.post("/api/v1/auth/token", data=credentials, headers=FORM)
    assert refused.status_code == 401
    me = await client.get("/api/v1/me", headers=bearer(token.json()["access_token"]))
    assert me.status_code == 401
    bad_scope = await client.post(
        "/api/v1/admin/clients", json={"name": "X", "scopes": ["everything"]}, headers=admin.headers
    )
    assert bad_scope.status_code == 422
