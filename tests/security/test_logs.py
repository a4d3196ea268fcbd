"""Secrets and personal data never reach a log line, through a whole flow and through errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from eservice.core.logging import JsonFormatter
from eservice.core.transaction import transaction
from eservice.core.worker import Worker
from eservice.notifications.jobs import delivery_jobs
from eservice.privacy.audit import verify
from eservice.privacy.retention import run_retention
from tests.conftest import make_settings
from tests.notifications.peers import SmtpServer
from tests.requests.helpers import filing

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
EMAIL = "petra.geheim-7q2@example.org"
PASSWORD = "Lindenallee-Geheimnis-42"
WRONG = "Falsches-Passwort-99"
# The test's own SMTP peer (aiosmtpd) logs the envelope it receives; it is not eservice.
PEER_LOGGERS = ("mail.log",)
COMMENT = "Meine Telefonnummer ist 0451-998877"
NAME = "Petra Geheim"
NEW_NAME = "Petra Neuname-Geheim"


class _Lines(logging.Handler):
    """Every record, rendered as the production JSON line (with all extras)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(PEER_LOGGERS):
            return
        self.lines.append(self.format(record) + " " + repr(record.args))


@pytest.fixture
def log_lines() -> Any:
    handler = _Lines()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def _form_values(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [v for item in data.values() for v in _form_values(item)]
    if isinstance(data, list):
        return [v for item in data for v in _form_values(item)]
    return [data] if isinstance(data, str) and len(data) >= 5 else []


async def test_a_whole_flow_leaves_no_secret_or_personal_data_in_the_logs(
    client_with: Callable[..., AsyncTestClient[Litestar]],
    sessionmaker: async_sessionmaker[AsyncSession],
    session_tmp: Path,
    make_staff: Any,
    log_lines: list[str],
) -> None:
    smtp = SmtpServer()
    smtp.start()
    try:
        peers = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port}
        clerk = await make_staff("clerk", departments=("steuern",))
        async with client_with(access_log=True, log_level="DEBUG", **peers) as c:
            registered = await c.post(
                "/api/v1/auth/register",
                json={"email": EMAIL, "password": PASSWORD, "display_name": NAME},
            )
            assert registered.status_code == 201, registered.text
            async with sessionmaker() as session, session.begin():
                await session.execute(
                    text("UPDATE users SET email_verified_at = now() WHERE id = :id"),
                    {"id": registered.json()["id"]},
                )
            for password in (WRONG, PASSWORD):
                login = await c.post(
                    "/api/v1/auth/token",
                    data={"grant_type": "password", "username": EMAIL, "password": password},
                    headers=FORM,
                )
            assert login.status_code == 200, login.text
            tokens = login.json()
            auth = {"Authorization": "Bearer " + tokens["access_token"]}
            body = filing("hundeanmeldung")
            created = await c.post("/api/v1/requests", json=body, headers=auth)
            assert created.status_code == 201, created.text
            request_id = created.json()["id"]
            commented = await c.post(
                f"/api/v1/requests/{request_id}/comments", json={"body": COMMENT}, headers=auth
            )
            assert commented.status_code == 201, commented.text
            seen = await c.get(f"/api/v1/requests/{request_id}", headers=clerk.headers)
            assert seen.status_code == 200
            reply = await c.post(
                f"/api/v1/requests/{request_id}/comments",
                json={"body": COMMENT + " (Antwort)"},
                headers=clerk.headers,
            )
            assert reply.status_code == 201
            refreshed = await c.post(
                "/api/v1/auth/token",
                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                headers=FORM,
            )
            assert refreshed.status_code == 200
            bad = await c.post(
                "/api/v1/requests", json={**body, "data": {"x": "\u0000" + EMAIL}}, headers=auth
            )
            assert bad.status_code == 422
            # The data protection flows: rectify, who read it, export, erase.
            renamed = await c.patch("/api/v1/me", json={"display_name": NEW_NAME}, headers=auth)
            assert renamed.status_code == 200
            access = await c.get(f"/api/v1/requests/{request_id}/access-log", headers=auth)
            assert access.status_code == 200
            exported = await c.get("/api/v1/me/export", headers=auth)
            assert exported.status_code == 200
            erased = await c.request(
                "DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=auth
            )
            assert erased.status_code == 204
        worker_settings = make_settings(session_tmp, log_level="DEBUG", **peers)
        await Worker(sessionmaker, worker_settings, jobs=delivery_jobs(worker_settings)).run_once()
        await Worker(sessionmaker, worker_settings, jobs=delivery_jobs(worker_settings)).run_once()
        await run_retention(sessionmaker, worker_settings, as_of=date(2100, 1, 1))
        async with transaction(sessionmaker) as session:
            assert (await verify(session, worker_settings)).intact
    finally:
        smtp.stop()
    assert any('"path": "/api/v1/requests"' in line for line in log_lines)
    text_of_logs = "\n".join(log_lines)
    forbidden = [
        EMAIL,
        PASSWORD,
        WRONG,
        COMMENT,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed.json()["access_token"],
        clerk.email or "",
        NAME,
        NEW_NAME,
        *_form_values(body["data"]),
    ]
    for secret in forbidden:
        assert secret not in text_of_logs, secret
        assert json.dumps(secret)[1:-1] not in text_of_logs, secret


async def test_database_errors_do_not_carry_statement_parameters(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError) as raised:
            await conn.execute(
                text("SELECT 1 / 0 WHERE CAST(:value AS text) <> ''"), {"value": EMAIL}
            )
    assert "division by zero" in str(raised.value)
    assert EMAIL not in str(raised.value)
