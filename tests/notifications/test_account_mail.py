"""Account emails over real SMTP: the code in the verification and reset mails works."""

from __future__ import annotations

import re
from email.message import EmailMessage

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.worker import Worker
from tests.notifications.helpers import count_succeeded, run_until
from tests.notifications.peers import SmtpServer

TOKEN = re.compile(r"^\s*((?:ve|pr)_\S+)\s*$", re.MULTILINE)


def _code(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    match = TOKEN.search(body.get_content())
    assert match is not None, body.get_content()
    return match.group(1)


async def test_registration_mail_carries_a_code_that_verifies_the_account(
    api: AsyncTestClient[Litestar],
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    smtp: SmtpServer,
) -> None:
    registered = await api.post(
        "/api/v1/auth/register",
        json={
            "email": "lea.schmidt@example.org",
            "password": "a long enough passphrase 42",
            "display_name": "Lea Schmidt",
            "locale": "en",
        },
    )
    assert registered.status_code == 201, registered.text

    await run_until(worker, lambda: _sent(sessionmaker, 1))

    message = (await smtp.wait_for(1))[0]
    assert message["To"] == "lea.schmidt@example.org"
    assert message["Subject"] == "Please confirm your email address"
    verified = await api.post("/api/v1/auth/verify-email", json={"token": _code(message)})
    assert verified.status_code == 200, verified.text


async def _sent(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> bool:
    return await count_succeeded(sessionmaker) >= count


async def test_password_reset_mail_carries_a_code_that_resets_the_password(
    api: AsyncTestClient[Litestar],
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    smtp: SmtpServer,
) -> None:
    await api.post(
        "/api/v1/auth/register",
        json={
            "email": "jan.meier@example.org",
            "password": "a long enough passphrase 42",
            "display_name": "Jan Meier",
        },
    )
    asked = await api.post("/api/v1/auth/password-reset", json={"email": "jan.meier@example.org"})
    assert asked.status_code == 202

    await run_until(worker, lambda: _sent(sessionmaker, 2))

    reset_mail = next(m for m in await smtp.wait_for(2) if "Passwort" in str(m["Subject"]))
    confirmed = await api.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": _code(reset_mail), "password": "another long passphrase 43"},
    )
    assert confirmed.status_code == 200, confirmed.text
