"""Shared steps of the public-report tests: anonymous filings and the outbox's emails."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.requests.helpers import LOCATION, example

Client = AsyncTestClient[Litestar]
SECRET_NAME = "Renate Geheimnisträgerin"
SECRET_EMAIL = "renate.geheim-7731@example.org"
SECRET_PHONE = "+49 451 9876543"


def report(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service": "strassenschaden",
        "data": example("strassenschaden"),
        "location": LOCATION,
    }
    body.update(extra)
    return body


async def file_anonymously(client: Client, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/requests", json=report(**extra))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def request_id_of(conn: asyncpg.Connection, reference: str) -> str:
    value = await conn.fetchval("SELECT id FROM requests WHERE reference = $1", reference)
    return str(value)


async def emails_to(conn: asyncpg.Connection, address: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT payload FROM outbox WHERE kind = 'email' AND payload->>'to' = $1 ORDER BY id",
        address,
    )
    return [json.loads(r["payload"]) for r in rows]
