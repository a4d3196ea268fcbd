"""Shared helpers of the request lifecycle tests: valid filings and common HTTP steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.auth import Caller

Client = AsyncTestClient[Litestar]
SERVICES = Path(__file__).resolve().parents[2] / "services"
DEPARTMENT = {
    "bewohnerparkausweis": "verkehr",
    "sondernutzung": "tiefbau",
    "hundeanmeldung": "steuern",
    "meldebescheinigung": "buergerservice",
    "strassenschaden": "tiefbau",
}
LOCATION = {"lat": 53.8655, "lon": 10.6866, "address": "Breite Straße 62, 23552 Lübeck"}


def example(service: str, index: int = 0) -> dict[str, Any]:
    """A valid filing of ``service`` from the examples its form ships."""
    form = json.loads((SERVICES / f"{service}.v1.form.json").read_text(encoding="utf-8"))
    data: dict[str, Any] = form["examples"][index]
    return dict(data)


def filing(service: str, *, submit: bool = True, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"service": service, "data": example(service), "submit": submit}
    if service in ("strassenschaden", "sondernutzung"):
        body["location"] = LOCATION
    body.update(extra)
    return body


async def file_request(
    client: Client, caller: Caller, service: str = "hundeanmeldung", **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/requests", json=filing(service, **extra), headers=caller.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def fire(
    client: Client,
    caller: Caller,
    request: dict[str, Any],
    transition: str,
    *,
    version: int | None = None,
    comment: str | None = None,
    expect: int = 200,
) -> dict[str, Any]:
    """Fire ``transition`` with If-Match of ``version`` (default: the version given)."""
    body: dict[str, Any] = {"transition": transition}
    if comment is not None:
        body["comment"] = comment
    headers = {**caller.headers, "If-Match": f'"{version or request["version"]}"'}
    response = await client.post(
        f"/api/v1/requests/{request['id']}/transitions", json=body, headers=headers
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def events(client: Client, caller: Caller, request_id: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/requests/{request_id}/events?limit=100", headers=caller.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


async def attach_pdf(client: Client, caller: Caller, request_id: str, kind: str) -> None:
    """Upload a small PDF as document ``kind`` through the attachments API."""
    response = await client.post(
        f"/api/v1/requests/{request_id}/attachments",
        files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
        data={"kind": kind},
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text


async def outbox_types(conn: Any, request_id: str) -> list[str]:
    """The event types published to the outbox for one request, in order."""
    rows = await conn.fetch(
        "SELECT payload->>'type' AS type FROM outbox WHERE kind = 'event' "
        "AND payload->>'request_id' = $1 ORDER BY id",
        request_id,
    )
    return [r["type"] for r in rows]
