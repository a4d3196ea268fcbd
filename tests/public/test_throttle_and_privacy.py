"""Abuse and privacy: filings per address are limited; public answers hold nothing personal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from litestar import Litestar, Request
from litestar.testing import AsyncTestClient

from eservice.core.client_address import client_address
from eservice.core.config import SettingsError
from tests.conftest import make_settings
from tests.public.helpers import (
    SECRET_EMAIL,
    SECRET_NAME,
    SECRET_PHONE,
    Client,
    report,
    request_id_of,
)
from tests.requests.helpers import fire
from tests.support.auth import MakeStaff


async def test_third_report_from_one_address_is_429_with_retry_after(
    client_with: Callable[..., AsyncTestClient[Litestar]], raw_connection: asyncpg.Connection
) -> None:
    async with client_with(public_reports_per_window=2, public_report_window_seconds=600) as c:
        for _ in range(2):
            assert (await c.post("/api/v1/requests", json=report())).status_code == 201
        refused = await c.post("/api/v1/requests", json=report())
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 600
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert await raw_connection.fetchval("SELECT count(*) FROM requests") == 2
    keys = await raw_connection.fetch("SELECT key FROM auth_throttle")
    assert all("testclient" not in k["key"] and "127.0.0.1" not in k["key"] for k in keys)


def _request(peer: str, forwarded: str | None) -> Request[Any, Any, Any]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    scope: Any = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": headers,
        "client": (peer, 1234),
        "query_string": b"",
        "app": None,
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ("", "10.0.0.5", "203.0.113.9", "10.0.0.5"),  # none trusted by default
        ("10.0.0.0/8", "10.0.0.5", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.0/8", "10.0.0.5", "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # spoofed left
        ("10.0.0.0/8", "10.0.0.5", "203.0.113.9, 10.0.0.7", "203.0.113.9"),  # two own proxies
        ("10.0.0.0/8", "192.0.2.1", "203.0.113.9", "192.0.2.1"),  # peer is not our proxy
        ("10.0.0.0/8", "10.0.0.5", "garbage", "10.0.0.5"),
    ],
)
def test_forwarded_address_is_believed_only_from_trusted_proxies(
    tmp_path: Any, trusted: str, peer: str, forwarded: str, expected: str
) -> None:
    settings = (
        make_settings(tmp_path, trusted_proxies=trusted) if trusted else make_settings(tmp_path)
    )
    assert client_address(_request(peer, forwarded), settings) == expected


async def test_public_answers_never_contain_contact_data_or_internal_comments(
    client: Client, make_staff: MakeStaff, raw_connection: asyncpg.Connection
) -> None:
    contact = {"email": SECRET_EMAIL, "name": SECRET_NAME, "phone": SECRET_PHONE}
    response = await client.post("/api/v1/requests", json=report(contact=contact))
    assert response.status_code == 201
    token = response.json()["tracking_token"]
    clerk = await make_staff(departments=("tiefbau",))
    request_id = await request_id_of(raw_connection, response.json()["reference"])
    await client.post(
        f"/api/v1/requests/{request_id}/comments",
        json={"body": "INTERN-Vermerk-4711", "visibility": "internal"},
        headers=clerk.headers,
    )
    current = (await client.get(f"/api/v1/requests/{request_id}", headers=clerk.headers)).json()
    await fire(client, clerk, current, "start_work")
    tracked = await client.get(f"/api/v1/tracking/{token}")
    for raw in (response.content, tracked.content):
        text = raw.decode()
        for secret in (SECRET_EMAIL, SECRET_NAME, SECRET_PHONE, "INTERN-Vermerk-4711", request_id):
            assert secret not in text
        assert str(clerk.id) not in text
    stored = await raw_connection.fetchrow("SELECT * FROM request_contacts")
    assert stored["email"] == SECRET_EMAIL
    assert stored["phone"] == SECRET_PHONE


def test_trusted_proxies_must_be_addresses(tmp_path: Any) -> None:
    with pytest.raises(SettingsError, match="ESERVICE_TRUSTED_PROXIES"):
        make_settings(tmp_path, trusted_proxies="proxy.example")
