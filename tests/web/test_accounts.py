"""Accounts in the browser: the same password check, throttling and recovery as the API."""

from __future__ import annotations

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.auth import MakeCitizen, MakeStaff
from tests.web.conftest import csrf_of, log_in

Client = AsyncTestClient[Litestar]


async def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    page = await browser.get("/login")
    answer = await browser.post(
        "/login",
        data={
            "_csrf_token": csrf_of(page.text),
            "email": citizen.email,
            "password": citizen.password,
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/requests"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "eservice_session" in c)
    assert cookie.startswith("__Host-eservice_session=")
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=lax" in cookie.replace("Lax", "lax")
    assert await raw_connection.fetchval("select count(*) from web_sessions") == 1
    mine = await browser.get("/requests")
    assert mine.status_code == 200
    assert mine.headers["cache-control"] == "no-store"
    out = await browser.post("/logout", data={"_csrf_token": csrf_of(mine.text)})
    assert out.status_code == 303
    assert await raw_connection.fetchval("select count(*) from web_sessions") == 0
    again = await browser.get("/requests")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login?next=%2Frequests")


async def test_wrong_password_is_refused_and_throttled_like_the_token_endpoint(
    browser: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    page = await browser.get("/login")
    token = csrf_of(page.text)
    for _ in range(5):
        wrong = await browser.post(
            "/login", data={"_csrf_token": token, "email": citizen.email, "password": "nope nope"}
        )
        assert wrong.status_code == 400
        assert "E-Mail-Adresse oder Passwort stimmen nicht." in wrong.text
        assert 'aria-invalid="true"' in wrong.text
    blocked = await browser.post(
        "/login",
        data={"_csrf_token": token, "email": citizen.email, "password": citizen.password},
    )
    assert blocked.status_code == 400
    assert "Zu viele Fehlversuche" in blocked.text
    # The counter is the token endpoint's own: the API refuses too.
    api = await browser.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": citizen.email, "password": citizen.password},
    )
    assert api.status_code == 429


async def test_a_post_without_csrf_token_is_refused(
    browser: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    await browser.get("/login")
    refused = await browser.post(
        "/login", data={"email": citizen.email, "password": citizen.password}
    )
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    assert "Formular" in refused.text
    # Refused by a middleware inside the request-context one: still traceable, and counted
    # with the status it was answered with (not as a server error).
    assert refused.headers.get("x-request-id")
    metrics = (await browser.get("/metrics")).text
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("eservice_requests_total{")
        and 'method="POST"' in line
        and 'path="/login"' in line
    ]
    assert any('status_code="403"' in line for line in counted)
    assert not any('status_code="500"' in line for line in counted)


async def test_registration_applies_the_password_rules_and_logs_in(
    browser: Client, raw_connection: asyncpg.Connection
) -> None:
    page = await browser.get("/register")
    token = csrf_of(page.text)
    weak = await browser.post(
        "/register",
        data={
            "_csrf_token": token,
            "display_name": "Erika",
            "email": "erika@example.org",
            "password": "short",
        },
    )
    assert weak.status_code == 400
    assert 'href="#password"' in weak.text  # the error summary links to the field
    assert 'aria-describedby="password-hint password-error"' in weak.text
    assert await raw_connection.fetchval("select count(*) from users") == 0
    made = await browser.post(
        "/register",
        data={
            "_csrf_token": token,
            "display_name": "Erika",
            "email": "erika@example.org",
            "password": "korrekt Pferd Batterie Heftklammer",
        },
    )
    assert made.status_code == 303
    assert made.headers["location"].startswith("/requests")
    assert await raw_connection.fetchval("select count(*) from users") == 1
    mine = await browser.get(made.headers["location"])
    assert "Ihr Konto ist angelegt" in mine.text


async def test_verify_link_opens_a_page_and_confirms_only_on_the_button(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    from eservice.identity import recovery  # noqa: F401  (the same function the API uses)

    page = await browser.get("/verify-email", params={"token": "ve_unknown"})
    assert page.status_code == 200
    assert 'value="ve_unknown"' in page.text
    wrong = await browser.post(
        "/verify-email", data={"_csrf_token": csrf_of(page.text), "token": "ve_unknown"}
    )
    assert wrong.status_code == 400
    assert "ungültig" in wrong.text


async def test_staff_land_in_the_console_and_citizens_may_not_open_it(
    browser: Client, make_citizen: MakeCitizen, make_staff: MakeStaff
) -> None:
    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    refused = await browser.get("/staff")
    assert refused.status_code == 404
