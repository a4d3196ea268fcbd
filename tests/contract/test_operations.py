"""api.md "Operations": health, metrics, the OpenAPI document and docs page, the CLI commands."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest

from eservice.cli.main import main
from tests.contract.helpers import FORM, Client

# Every contract path with the parameters api.md names for it.
CONTRACT: dict[tuple[str, str], set[str]] = {
    ("post", "/api/v1/auth/register"): {"Idempotency-Key"},
    ("post", "/api/v1/auth/token"): set(),
    ("post", "/api/v1/auth/revoke"): set(),
    ("post", "/api/v1/auth/verify-email"): set(),
    ("post", "/api/v1/auth/password-reset"): set(),
    ("post", "/api/v1/auth/password-reset/confirm"): set(),
    ("get", "/api/v1/me"): set(),
    ("get", "/.well-known/jwks.json"): set(),
    ("get", "/api/v1/services"): {"lang", "Accept-Language"},
    ("get", "/api/v1/services/{code}"): {"code", "version", "lang", "Accept-Language"},
    ("get", "/api/v1/workflows/{name}"): {"name", "version", "format"},
    ("post", "/api/v1/requests"): {"Idempotency-Key"},
    ("get", "/api/v1/requests"): {
        "state",
        "service",
        "assignee",
        "overdue",
        "q",
        "limit",
        "cursor",
    },
    ("get", "/api/v1/requests/{request_id}"): {"request_id"},
    ("patch", "/api/v1/requests/{request_id}"): {"request_id", "If-Match"},
    ("get", "/api/v1/requests/{request_id}/events"): {"request_id", "limit", "cursor"},
    ("get", "/api/v1/requests/{request_id}/transitions"): {"request_id"},
    ("post", "/api/v1/requests/{request_id}/transitions"): {"request_id", "If-Match"},
    ("post", "/api/v1/requests/{request_id}/comments"): {"request_id", "Idempotency-Key"},
    ("put", "/api/v1/requests/{request_id}/assignee"): {"request_id", "If-Match"},
    ("post", "/api/v1/requests/{request_id}/attachments"): {"request_id", "Idempotency-Key"},
    ("get", "/api/v1/requests/{request_id}/attachments/{attachment_id}"): {
        "request_id",
        "attachment_id",
    },
    ("get", "/api/v1/queues"): set(),
    ("get", "/api/v1/queues/{department}/requests"): {
        "department",
        "state",
        "service",
        "assignee",
        "overdue",
        "q",
        "sort",
        "limit",
        "cursor",
    },
    ("post", "/api/v1/queues/{department}/claim"): {"department"},
    ("get", "/api/v1/me/notifications"): {"unread", "limit", "cursor"},
    ("post", "/api/v1/me/notifications/{item_id}/read"): {"item_id"},
    ("get", "/api/v1/events/stream"): set(),
    ("post", "/api/v1/subscriptions"): {"Idempotency-Key"},
    ("get", "/api/v1/subscriptions"): {"limit", "cursor"},
    ("delete", "/api/v1/subscriptions/{subscription_id}"): {"subscription_id"},
    ("get", "/api/v1/subscriptions/{subscription_id}/deliveries"): {"subscription_id"},
    ("post", "/api/v1/subscriptions/{subscription_id}/deliveries/{delivery_id}/retry"): {
        "subscription_id",
        "delivery_id",
    },
    ("get", "/health/live"): set(),
    ("get", "/health/ready"): set(),
    ("get", "/metrics"): set(),
}


async def test_openapi_documents_every_contract_path_and_parameter(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths: dict[str, Any] = document["paths"]
    missing: list[str] = []
    for (verb, path), parameters in CONTRACT.items():
        operation = paths.get(path, {}).get(verb)
        if operation is None:
            missing.append(f"{verb.upper()} {path}")
            continue
        named = {p["name"] for p in operation.get("parameters", [])}
        missing += [f"{verb.upper()} {path}: {p}" for p in sorted(parameters - named)]
    assert missing == []


async def test_openapi_documents_request_bodies(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for oauth in ("/api/v1/auth/token", "/api/v1/auth/revoke"):
        form = paths[oauth]["post"]["requestBody"]["content"]
        assert "application/x-www-form-urlencoded" in form, oauth
    grant = form_fields(paths["/api/v1/auth/token"]["post"])
    assert {"grant_type", "username", "password", "refresh_token", "client_id"} <= grant
    filing = paths["/api/v1/requests"]["post"]["requestBody"]["content"]
    assert "application/json" in filing
    upload = paths["/api/v1/requests/{request_id}/attachments"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload


async def test_openapi_describes_errors_as_problem_json(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    filing = document["paths"]["/api/v1/requests"]["post"]["responses"]
    for status in ("400", "422"):
        content = filing[status]["content"]
        assert list(content) == ["application/problem+json"], status
    problem = document["components"]["schemas"]["ProblemOut"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    listing = document["paths"]["/api/v1/requests"]["get"]["responses"]["400"]
    assert "application/problem+json" in listing["content"]
    token = document["paths"]["/api/v1/auth/token"]["post"]["responses"]["400"]
    assert "error" in token["content"]["application/json"]["schema"]["properties"]


def form_fields(operation: dict[str, Any]) -> set[str]:
    """The fields of a form, over all its alternatives (the token endpoint has one per grant)."""
    schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    alternatives = schema.get("oneOf", [schema])
    return {name for alternative in alternatives for name in alternative["properties"]}


async def test_interactive_docs_page_loads(client: Client) -> None:
    scalar = await client.get("/schema")
    assert scalar.status_code == 200
    assert scalar.headers["content-type"].startswith("text/html")
    assert 'data-url="/schema/openapi.json"' in scalar.text
    swagger = await client.get("/schema/swagger")
    assert swagger.status_code == 200
    assert swagger.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in swagger.text
    assert "/api/v1/requests" in swagger.text


async def test_health_and_metrics(client: Client) -> None:
    live = await client.get("/health/live")
    ready = await client.get("/health/ready")
    assert live.status_code == ready.status_code == 200
    await client.get("/api/v1/services")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "eservice_" in metrics.text


def _run(
    args: list[str], database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> tuple[int, str, str]:
    for key in list(os.environ):
        if key.startswith("ESERVICE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ESERVICE_DATABASE_URL", database_url)
    monkeypatch.setenv("ESERVICE_LOG_LEVEL", "WARNING")
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_cli_users_create_prints_the_account_and_it_can_log_in(
    client: Client,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Any,
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["users", "create", "--email", "sachbearbeiterin@example.org"]
    args += ["--password", "Rathausmarkt-1-Kiel", "--role", "clerk"]
    args += ["--department", "verkehr", "--department", "tiefbau"]
    code, out, err = await asyncio.to_thread(_run, args, database_url, monkeypatch, capsys)
    assert code == 0, err
    account = json.loads(out)
    assert set(account) >= {"id", "email", "roles", "departments"}
    assert account["email"] == "sachbearbeiterin@example.org"
    assert account["roles"] == ["clerk"]
    assert sorted(account["departments"]) == ["tiefbau", "verkehr"]
    login = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "password",
            "username": "sachbearbeiterin@example.org",
            "password": "Rathausmarkt-1-Kiel",
        },
        headers=FORM,
    )
    assert login.status_code == 200, login.text


async def test_cli_clients_create_prints_credentials_that_work(
    client: Client,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Any,
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["clients", "create", "--name", "Fachverfahren"]
    args += ["--scope", "requests:read", "--scope", "requests:write"]
    code, out, err = await asyncio.to_thread(_run, args, database_url, monkeypatch, capsys)
    assert code == 0, err
    created = json.loads(out)
    assert created["client_id"]
    assert created["client_secret"]
    granted = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
        headers=FORM,
    )
    assert granted.status_code == 200, granted.text
    assert set(granted.json()["scope"].split()) == {"requests:read", "requests:write"}
    # The printed api_key files through Open311 (the client has requests:write).
    assert created["api_key"].startswith("o311_")
    filed = await client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": created["api_key"],
            "service_code": "strassenschaden",
            "lat": "53.8655",
            "long": "10.6866",
            "attribute[kategorie]": "gehweg",
            "description": "Gehwegplatte hebt sich und ist eine Stolperfalle.",
        },
    )
    assert filed.status_code == 200, filed.text
    assert filed.json()[0]["service_request_id"].startswith("HL-")
