"""API clients: client_credentials grant, scopes, service restriction, the CLI commands."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eservice.core.errors import Forbidden
from eservice.identity.guards import require_scope, require_service
from tests.identity.helpers import FORM, Client, bearer, password_login
from tests.support.auth import Caller, MakeApiClient

REPO = Path(__file__).resolve().parents[2]


async def client_token(client: Client, caller: Caller, **extra: str):
    data = {
        "grant_type": "client_credentials",
        "client_id": caller.client_id or "",
        "client_secret": caller.client_secret or "",
        **extra,
    }
    return await client.post("/api/v1/auth/token", data=data, headers=FORM)


async def test_client_credentials_grant_gives_a_scoped_token(
    client: Client, make_api_client: MakeApiClient
) -> None:
    integration = await make_api_client(
        ["requests:read", "requests:write"], services=["parkausweis"]
    )
    response = await client_token(client, integration)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "requests:read requests:write"
    assert "refresh_token" not in body
    me = await client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.json()["client_id"] == integration.client_id
    assert me.json()["services"] == ["parkausweis"]


async def test_client_may_ask_for_fewer_scopes_but_not_more(
    client: Client, make_api_client: MakeApiClient
) -> None:
    integration = await make_api_client(["requests:read", "requests:write"])
    narrowed = await client_token(client, integration, scope="requests:read")
    assert narrowed.json()["scope"] == "requests:read"
    me = await client.get("/api/v1/me", headers=bearer(narrowed.json()["access_token"]))
    assert me.json()["scopes"] == ["requests:read"]
    wider = await client_token(client, integration, scope="requests:read requests:transition")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"


async def test_client_authenticates_with_http_basic(
    client: Client, make_api_client: MakeApiClient
) -> None:
    integration = await make_api_client(["requests:read"])
    raw = f"{integration.client_id}:{integration.client_secret}".encode()
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials"},
        headers={**FORM, "Authorization": "Basic " + base64.b64encode(raw).decode()},
    )
    assert response.status_code == 200, response.text


async def test_wrong_client_secret_and_unknown_client_answer_alike(
    client: Client, make_api_client: MakeApiClient
) -> None:
    integration = await make_api_client(["requests:read"])
    wrong = await client_token(client, integration, client_secret="cs_wrong")
    integration.client_id = "cl_unknown"
    unknown = await client_token(client, integration)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "invalid_client"


def test_scope_guard_refuses_clients_without_the_scope_and_ignores_people(
    citizen: Caller,
) -> None:
    from eservice.identity.principal import Principal

    reader = Principal(kind="client", id=citizen.id, scopes=frozenset({"requests:read"}))
    require_scope(reader, "requests:read")
    with pytest.raises(Forbidden):
        require_scope(reader, "requests:write")
    require_scope(citizen.principal, "requests:write")
    restricted = Principal(kind="client", id=citizen.id, services=frozenset({"parkausweis"}))
    require_service(restricted, "parkausweis")
    with pytest.raises(Forbidden):
        require_service(restricted, "sperrmuell")


def _cli(args: list[str], database_url: str, data_dir: Path, stdin: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESERVICE_")}
    env |= {
        "ESERVICE_ENV": "test",
        "ESERVICE_DATABASE_URL": database_url,
        "ESERVICE_DATA_DIR": str(data_dir),
        "ESERVICE_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "eservice.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        cwd=REPO,
        timeout=60,
        check=False,
    )


async def test_cli_creates_a_client_whose_secret_works_once_printed(
    client: Client, database_url: str, session_tmp: Path
) -> None:
    result = _cli(
        [
            "clients",
            "create",
            "--name",
            "Fachverfahren",
            "--scope",
            "requests:read",
            "--scope",
            "requests:transition",
        ],
        database_url,
        session_tmp,
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["client_id"].startswith("cl_")
    assert created["scopes"] == ["requests:read", "requests:transition"]
    token = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
        headers=FORM,
    )
    assert token.status_code == 200, token.text


async def test_cli_creates_staff_who_can_log_in(
    client: Client, database_url: str, session_tmp: Path
) -> None:
    result = _cli(
        [
            "users",
            "create",
            "--email",
            "Clerk@Stadt.example",
            "--role",
            "clerk",
            "--department",
            "verkehr",
            "--department",
            "umwelt",
        ],
        database_url,
        session_tmp,
        stdin="Ein-sicheres-Passwort-42\n",
    )
    assert result.returncode == 0, result.stderr
    account = json.loads(result.stdout)
    assert account["email"] == "clerk@stadt.example"
    assert account["roles"] == ["clerk"]
    assert account["departments"] == ["umwelt", "verkehr"]
    assert "Ein-sicheres" not in result.stdout + result.stderr
    login = await password_login(client, "clerk@stadt.example", "Ein-sicheres-Passwort-42")
    assert login.status_code == 200
    me = await client.get("/api/v1/me", headers=bearer(login.json()["access_token"]))
    assert me.json()["departments"] == ["umwelt", "verkehr"]


def test_cli_refuses_a_weak_password_with_a_clear_message(
    database_url: str, session_tmp: Path
) -> None:
    result = _cli(
        [
            "users",
            "create",
            "--email",
            "x@stadt.example",
            "--password",
            "kurz",
            "--role",
            "supervisor",
            "--department",
            "verkehr",
        ],
        database_url,
        session_tmp,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "at least 12 characters" in result.stderr
