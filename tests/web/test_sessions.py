"""Browser sessions end: when idle too long, and everywhere when the password is reset."""

from __future__ import annotations

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eservice.identity import recovery
from eservice.identity.tokens import new_opaque_token, opaque_token_hash
from tests.support.auth import MakeCitizen
from tests.web.conftest import csrf_of, log_in

Client = AsyncTestClient[Litestar]


async def test_an_idle_session_expires_and_the_login_says_so(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    assert (await browser.get("/requests")).status_code == 200
    await raw_connection.execute(
        "update web_sessions set last_seen_at = now() - interval '2 hours'"
    )
    expired = await browser.get("/requests")
    assert expired.status_code == 303
    assert expired.headers["location"] == "/login?next=%2Frequests&expired=true"
    login = await browser.get(expired.headers["location"])
    assert "Ihre Sitzung ist abgelaufen" in login.text


async def test_a_password_reset_ends_every_browser_session(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    assert await raw_connection.fetchval("select count(*) from web_sessions") == 1
    token = new_opaque_token("pr_")
    await raw_connection.execute(
        "insert into account_tokens (id, token_hash, purpose, user_id, expires_at)"
        " values (gen_random_uuid(), $1, $2, $3, now() + interval '1 hour')",
        opaque_token_hash(token),
        recovery.PASSWORD_RESET,
        citizen.id,
    )
    page = await browser.get("/password-reset/confirm", params={"token": token})
    assert f'value="{token}"' in page.text
    weak = await browser.post(
        "/password-reset/confirm",
        data={"_csrf_token": csrf_of(page.text), "token": token, "password": "kurz"},
    )
    assert weak.status_code == 400
    done = await browser.post(
        "/password-reset/confirm",
        data={
            "_csrf_token": csrf_of(page.text),
            "token": token,
            "password": "ein ganz neues langes Passwort",
        },
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/login?notice=reset.done"
    assert await raw_connection.fetchval("select count(*) from web_sessions") == 0


async def test_reset_request_page_never_tells_whether_an_account_exists(browser: Client) -> None:
    page = await browser.get("/password-reset")
    answer = await browser.post(
        "/password-reset",
        data={"_csrf_token": csrf_of(page.text), "email": "niemand@example.org"},
    )
    assert answer.status_code == 200
    assert "Wenn es ein Konto mit dieser Adresse gibt" in answer.text


async def test_english_pages_have_english_labels_and_errors(
    browser: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    await browser.get("/language", params={"to": "en", "next": "/"})
    await log_in(browser, citizen.email or "", citizen.password or "")
    page = await browser.get("/services/hundeanmeldung/apply")
    assert '<html lang="en">' in page.text
    assert "Dog&#39;s name" in page.text or "Dog's name" in page.text
    answer = await browser.post(
        "/services/hundeanmeldung/apply", data={"_csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 400
    assert "Please fill in this field." in answer.text
    assert "Bitte" not in answer.text
