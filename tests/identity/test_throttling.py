"""Failed logins and client authentications are slowed, then refused with 429 + Retry-After."""

from __future__ import annotations

import logging
from collections.abc import Callable

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.identity.helpers import FORM, password_login
from tests.support.auth import Caller, MakeApiClient

ClientWith = Callable[..., AsyncTestClient[Litestar]]
WRONG = "Definitely-wrong-123"


async def test_repeated_failed_logins_end_in_429_even_with_the_right_password(
    client_with: ClientWith, citizen: Caller
) -> None:
    async with client_with(login_max_failures=3, login_window_seconds=120) as c:
        for _ in range(3):
            assert (await password_login(c, citizen.email or "", WRONG)).status_code == 400
        blocked = await password_login(c, citizen.email or "", citizen.password or "")
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 120
    assert blocked.json()["error"] == "slow_down"


async def test_unknown_and_known_accounts_are_throttled_alike(
    client_with: ClientWith, citizen: Caller
) -> None:
    answers: dict[str, list[tuple[int, object]]] = {}
    async with client_with(login_max_failures=2) as c:
        for name in [citizen.email or "", "nobody@example.org"]:
            seen = []
            for _ in range(3):
                response = await password_login(c, name, WRONG)
                seen.append((response.status_code, response.json()["error"]))
            answers[name] = seen
    assert answers[citizen.email or ""] == answers["nobody@example.org"]
    assert [status for status, _ in answers["nobody@example.org"]] == [400, 400, 429]


async def test_throttle_is_shared_between_processes_through_postgres(
    client_with: ClientWith, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    async with (
        client_with(login_max_failures=2) as first,
        client_with(login_max_failures=2) as second,
    ):
        assert (await password_login(first, citizen.email or "", WRONG)).status_code == 400
        assert (await password_login(second, citizen.email or "", WRONG)).status_code == 400
        assert (
            await password_login(first, citizen.email or "", citizen.password or "")
        ).status_code == 429
    keys = [r["key"] for r in await raw_connection.fetch("SELECT key FROM auth_throttle")]
    assert all((citizen.email or "") not in key for key in keys)  # names are stored hashed


async def test_success_before_the_limit_resets_the_count(
    client_with: ClientWith, citizen: Caller
) -> None:
    async with client_with(login_max_failures=2) as c:
        await password_login(c, citizen.email or "", WRONG)
        assert (
            await password_login(c, citizen.email or "", citizen.password or "")
        ).status_code == 200
        await password_login(c, citizen.email or "", WRONG)
        assert (
            await password_login(c, citizen.email or "", citizen.password or "")
        ).status_code == 200


async def test_failed_client_authentications_end_in_429(
    client_with: ClientWith, make_api_client: MakeApiClient
) -> None:
    integration = await make_api_client(["requests:read"])
    data = {
        "grant_type": "client_credentials",
        "client_id": integration.client_id or "",
        "client_secret": "cs_wrong",
    }
    async with client_with(login_max_failures=2) as c:
        statuses = [
            (await c.post("/api/v1/auth/token", data=data, headers=FORM)).status_code
            for _ in range(2)
        ]
        data["client_secret"] = integration.client_secret or ""
        blocked = await c.post("/api/v1/auth/token", data=data, headers=FORM)
    assert statuses == [401, 401]
    assert blocked.status_code == 429
    assert "retry-after" in blocked.headers


async def test_passwords_and_tokens_never_reach_the_logs(
    client_with: ClientWith, citizen: Caller, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client_with(access_log=True, log_level="DEBUG") as c:
        await password_login(c, citizen.email or "", WRONG)
        login = await password_login(c, citizen.email or "", citizen.password or "")
        tokens = login.json()
        await c.get("/api/v1/me", headers={"Authorization": "Bearer " + tokens["access_token"]})
    text = "\n".join(r.getMessage() + " " + str(r.__dict__) for r in caplog.records)
    assert caplog.records  # the access log did record the requests
    for secret in [WRONG, citizen.password or "", tokens["access_token"], tokens["refresh_token"]]:
        assert secret not in text


async def test_outdated_password_hashes_are_upgraded_at_login(
    client_with: ClientWith, citizen: Caller, raw_connection: asyncpg.Connection
) -> None:
    before = await raw_connection.fetchval(
        "SELECT password_hash FROM users WHERE id = $1", citizen.id
    )
    assert "t=1" in before
    async with client_with(password_hash_time_cost=2) as c:
        assert (
            await password_login(c, citizen.email or "", citizen.password or "")
        ).status_code == 200
    after = await raw_connection.fetchval(
        "SELECT password_hash FROM users WHERE id = $1", citizen.id
    )
    assert after.startswith("$argon2id$")
    assert "t=2" in after
    async with client_with(password_hash_time_cost=2) as c:
        assert (
            await password_login(c, citizen.email or "", citizen.password or "")
        ).status_code == 200
