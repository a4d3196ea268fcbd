"""Shared checks of the contract tests: problem bodies and RFC 3339 timestamps."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# The members api.md gives every service of the catalogue.
SERVICE_FIELDS = {
    "code",
    "version",
    "title",
    "description",
    "department",
    "form_schema",
    "location",
    "required_documents",
    "fee",
    "sla",
    "workflow",
}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with the contract's members and no stack trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    for member in ("type", "title", "status", "detail"):
        assert member in body, body
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def assert_rfc3339(value: str) -> None:
    """A timestamp with an explicit offset."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, value


async def outbox_email_context(conn: asyncpg.Connection, template: str) -> dict[str, Any]:
    """The context of the latest queued email of ``template`` (holds tokens and links)."""
    rows = await conn.fetch("SELECT payload FROM outbox WHERE kind = 'email' ORDER BY id DESC")
    for row in rows:
        payload = row["payload"]
        payload = json.loads(payload) if isinstance(payload, str) else payload
        if payload["template"] == template:
            context: dict[str, Any] = payload["context"]
            return context
    raise AssertionError(f"no {template} email queued")
