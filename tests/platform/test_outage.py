"""A database outage is an operating condition: 503 problem+json with Retry-After, one
warning line per outage, and recovery on its own once the database is back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eservice.app import create_app
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.embedded import ensure_database
from eservice.core.transaction import transaction
from eservice.identity import service
from eservice.identity.tokens import issue_access_token
from tests.conftest import make_settings
from tests.platform.private_postgres import PrivatePostgres, private_postgres
from tests.requests.helpers import filing
from tests.support.setup import prepare_test_database

PASSWORD = "korrekt-Pferd-Batterie-7"
Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
def outage_database() -> Iterator[tuple[PrivatePostgres, str]]:
    """A migrated database with the catalogue, on a server only this module uses."""
    with private_postgres() as server:
        asyncio.run(ensure_database(server.url("postgres"), "eservice"))
        url = server.url("eservice")
        prepare_test_database(url)
        yield server, url


async def _citizen_headers(url: str, settings: Settings, email: str) -> dict[str, str]:
    engine = create_engine(url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            row = await service.create_citizen(
                session,
                settings,
                email=email,
                password=PASSWORD,
                display_name="Erika Mustermann",
                verified=True,
            )
    finally:
        await engine.dispose()
    token, _ = issue_access_token(settings, service.principal_for_user(row))
    return {"Authorization": f"Bearer {token}"}


async def _until(condition: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, f"{what} not within {within:.0f} s"
        await asyncio.sleep(0.2)


def _problems(records: list[logging.LogRecord]) -> list[str]:
    """Warnings and errors, and anything logged with a traceback."""
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in records
        if r.levelno >= logging.WARNING or r.exc_info or getattr(r, "traceback", None)
    ]


async def test_an_outage_answers_503_logs_one_warning_and_heals_by_itself(
    outage_database: tuple[PrivatePostgres, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, url = outage_database
    caplog.set_level(logging.INFO, logger="eservice")
    settings = make_settings(tmp_path)
    email = "erika-outage@example.org"
    headers = await _citizen_headers(url, settings, email)
    # The worker runs in the process too: it polls the database throughout the outage.
    app = create_app(settings, url, with_worker=True)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        filed = await client.post(
            "/api/v1/requests", json=filing("hundeanmeldung"), headers=headers
        )
        assert filed.status_code == 201, filed.text
        location = filed.headers["location"]
        login = {"grant_type": "password", "username": email, "password": PASSWORD}
        calls: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
            "read": lambda: client.get(location, headers=headers),
            "file": lambda: client.post(
                "/api/v1/requests", json=filing("hundeanmeldung"), headers=headers
            ),
            "token": lambda: client.post("/api/v1/auth/token", data=login),
        }

        async def ready() -> bool:
            return (await client.get("/health/ready")).status_code == 200

        for outage in (1, 2):
            for name, call in calls.items():
                response = await call()
                assert response.status_code in (200, 201), (name, response.text)
            server.kill()
            for _ in range(3):
                for name, call in calls.items():
                    response = await call()
                    assert response.status_code == 503, (name, response.text)
                    assert response.headers["content-type"].startswith("application/problem+json")
                    assert response.headers["retry-after"] == "5"
                    assert response.json()["type"] == "urn:eservice:problem:service-unavailable"
            assert (await client.get("/health/ready")).status_code == 503
            await asyncio.sleep(1)  # worker rounds fail meanwhile (it polls every 0.1 s)
            server.restart()
            await _until(ready, 120, "ready after the restart")
            # Back without a restart of the app: no request fails on a connection of before.
            for name, call in calls.items():
                response = await call()
                assert response.status_code in (200, 201), (name, response.text)
            assert (
                _problems(caplog.records)
                == [
                    "WARNING eservice.database: database unavailable: answering 503 until it is "
                    "reachable again"
                ]
                * outage
            )
            back = [r for r in caplog.records if r.getMessage() == "database reachable again"]
            assert len(back) == outage

        # The worker survived both outages: a registration's verification email goes out.
        registered = await client.post(
            "/api/v1/auth/register",
            json={
                "email": "max-outage@example.org",
                "password": PASSWORD,
                "display_name": "Max Mustermann",
            },
        )
        assert registered.status_code == 201, registered.text
        mail = settings.data_path / "mail"

        async def delivered() -> bool:
            return any("max-outage@example.org" in p.read_text() for p in mail.glob("*.eml"))

        await _until(delivered, 60, "the verification email")
    assert len(_problems(caplog.records)) == 2
