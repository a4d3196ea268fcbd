"""Reports without an account in the browser: form, review, photo, confirmation, tracking page."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eservice.app import create_app
from eservice.notifications.emails import render_email
from tests.attachments.conftest import png_bytes
from tests.conftest import make_settings
from tests.public.helpers import SECRET_EMAIL, SECRET_NAME, SECRET_PHONE, emails_to, report
from tests.requests.helpers import LOCATION, example, fire
from tests.support.auth import MakeStaff
from tests.web.conftest import csrf_of, encoded
from tests.web.html_forms import submitted
from tests.web.test_filing import as_form

Client = AsyncTestClient[Litestar]
FORM = "/services/strassenschaden/report"
TOKEN_LINK = re.compile(r'href="(/tracking/(tr_[A-Za-z0-9_-]+))"')


def typed(contact: dict[str, str] | None = None, **data: Any) -> list[tuple[str, str]]:
    """The report form as a person fills it in: the example, a place, a contact."""
    pairs = as_form(example("strassenschaden") | data)
    pairs += [(f"loc.{k}", str(v)) for k, v in LOCATION.items()]
    pairs += [(f"contact.{k}", v) for k, v in (contact or {}).items()]
    return pairs


def send_form(review_html: str) -> dict[str, str]:
    """What the review page's "send" form posts (the page also has a "change" form)."""
    part = review_html.split(f'action="{FORM}/send"', 1)[1].split("</form>", 1)[0]
    return dict(submitted("<form " + part))


async def review(client: Client, pairs: list[tuple[str, str]]) -> str:
    page = await client.get(FORM)
    assert page.status_code == 200
    answer = await client.post(
        FORM, **encoded([("_csrf_token", csrf_of(page.text)), *pairs, ("action", "review")])
    )
    assert answer.status_code == 200, answer.text
    return answer.text


async def send(
    client: Client, review_html: str, photo: tuple[str, bytes, str] | None = None
) -> Any:
    files = {"file.foto": photo} if photo else {"file.foto": ("", b"", "application/octet-stream")}
    return await client.post(FORM + "/send", data=send_form(review_html), files=files)


def tracking_link(html: str) -> tuple[str, str]:
    match = TOKEN_LINK.search(html)
    assert match, "the confirmation shows the tracking link"
    return match.group(1), match.group(2)


async def count(conn: asyncpg.Connection, table: str) -> int:
    value: int = await conn.fetchval(f"SELECT count(*) FROM {table}")
    return value


@pytest.fixture
async def throttled_browser(
    database_url: str, session_tmp: Path
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A browser on an app that takes one report per address and hour."""
    settings = make_settings(session_tmp, public_reports_per_window=1)
    app = create_app(settings, database_url)
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        client.follow_redirects = False
        yield client


async def test_start_page_and_login_offer_the_report_only_for_public_services(
    browser: Client,
) -> None:
    home = await browser.get("/")
    assert f'href="{FORM}"' in home.text
    assert "Ohne Konto melden" in home.text
    assert "/services/hundeanmeldung/report" not in home.text
    login = await browser.get("/login", params={"next": "/services/strassenschaden/apply"})
    assert f'href="{FORM}"' in login.text
    other = await browser.get("/login", params={"next": "/services/hundeanmeldung/apply"})
    assert "/report" not in other.text
    english = await browser.get("/", params={"lang": "en"})
    assert "Report without an account" in english.text


async def test_anonymous_report_with_a_photo_is_filed_and_followed_by_its_link(
    browser: Client, raw_connection: asyncpg.Connection
) -> None:
    form = await browser.get(FORM)
    for control in ('id="f-kategorie', 'id="f-beschreibung"', 'id="loc-lat"', 'id="loc-lon"'):
        assert control in form.text
    assert 'id="contact-email"' in form.text
    assert 'autocomplete="email"' in form.text
    html = await review(browser, typed({"email": SECRET_EMAIL, "name": SECRET_NAME}))
    assert "Meldung prüfen und absenden" in html
    assert "Tiefes Schlagloch" in html
    assert SECRET_EMAIL in html
    assert "JPEG, PNG" in html
    assert "10 MB" in html
    assert await count(raw_connection, "requests") == 0  # the review stores nothing

    done = await send(browser, html, ("loch.png", png_bytes(), "image/png"))
    assert done.status_code == 201, done.text
    assert done.headers["cache-control"] == "no-store"
    assert done.headers["referrer-policy"] == "no-referrer"
    assert "Ihre Meldung ist eingegangen" in done.text
    path, token = tracking_link(done.text)
    assert f"http://127.0.0.1:8000{path}" in done.text  # the address to keep, in full
    assert token not in str(done.headers)  # neither a cookie nor any other header holds it
    # Switching the language cannot show this answer again; it opens the tracking page.
    assert f"next={quote(path, safe='')}" in done.text
    reference = re.search(r'id="reference">([^<]+)<', done.text)
    assert reference is not None

    row = await raw_connection.fetchrow("SELECT * FROM requests")
    assert (row["state"], row["filed_by_kind"]) == ("submitted", "public")
    assert row["applicant_id"] is None
    assert row["reference"] == reference.group(1)
    assert row["data"] is not None
    assert "schlagloch" in row["data"]
    contact = await raw_connection.fetchrow("SELECT * FROM request_contacts")
    assert (contact["email"], contact["name"]) == (SECRET_EMAIL, SECRET_NAME)
    photo = await raw_connection.fetchrow("SELECT * FROM attachments")
    assert (photo["kind"], photo["content_type"], photo["visibility"]) == (
        "foto",
        "image/png",
        "public",
    )
    assert await count(raw_connection, "tracking_tokens") == 1
    mails = await emails_to(raw_connection, SECRET_EMAIL)
    assert [m["template"] for m in mails] == ["report_received"]
    email = render_email(
        "report_received", "de", {**mails[0]["context"], "public_url": "https://x"}
    )
    assert f"https://x/tracking/{token}" in email.text  # the email opens the portal's page

    tracked = await browser.get(path)
    assert tracked.status_code == 200
    assert tracked.headers["referrer-policy"] == "no-referrer"
    assert tracked.headers["cache-control"] == "no-store"
    assert reference.group(1) in tracked.text
    assert "Straßenschaden melden" in tracked.text
    assert "Eingegangen" in tracked.text
    assert "Foto hinzugefügt" in tracked.text  # the photo in the timeline
    assert "Meldung abgesendet" in tracked.text
    assert "Antragsteller" not in tracked.text
    for secret in (SECRET_EMAIL, SECRET_NAME, "Tiefes Schlagloch"):
        assert secret not in tracked.text
    english = await browser.get(path, params={"lang": "en"})
    assert "Status of your report" in english.text
    assert "Received" in english.text
    api = await browser.get(f"/api/v1/tracking/{token}")
    assert api.status_code == 200
    assert api.json()["reference"] == reference.group(1)


async def test_invalid_report_shows_messages_at_fields_and_files_nothing(
    browser: Client, raw_connection: asyncpg.Connection
) -> None:
    page = await browser.get(FORM)
    pairs = [(n, v) for n, v in typed({"email": "kein-at-zeichen"}, beschreibung="kurz")]
    pairs = [(n, v) for n, v in pairs if n not in ("d.kategorie", "loc.lat", "loc.lon")]
    answer = await browser.post(
        FORM, **encoded([("_csrf_token", csrf_of(page.text)), *pairs, ("action", "review")])
    )
    assert answer.status_code == 400
    html = answer.text
    assert 'id="error-summary"' in html
    for anchor in ("#f-kategorie", "#f-beschreibung", "#contact-email"):
        assert f'href="{anchor}"' in html, anchor
    assert 'aria-describedby="contact-email-error"' in html
    assert re.search(r'id="contact-email"[^>]*aria-invalid="true"', html, re.S)
    assert 'value="kein-at-zeichen"' in html  # what was typed stays
    # The send step checks again (a forged review page files nothing either).
    forged = await browser.post(
        FORM + "/send",
        data={"_csrf_token": csrf_of(html), **dict(pairs)},
        files={"file.foto": ("", b"", "application/octet-stream")},
    )
    assert forged.status_code == 400
    assert 'id="error-summary"' in forged.text
    # Contact data the filing's bounds refuse is shown too, never dropped silently.
    for field, value in (("contact.email", "a@"), ("contact.name", "N" * 201)):
        answer = await browser.post(
            FORM, **encoded([("_csrf_token", csrf_of(html)), *typed(), (field, value)])
        )
        assert answer.status_code == 400, field
        assert f'href="#{field.replace(".", "-")}"' in answer.text
    assert await count(raw_connection, "requests") == 0
    assert await count(raw_connection, "request_contacts") == 0


async def test_a_refused_photo_files_nothing_and_counts_nothing(
    browser: Client, raw_connection: asyncpg.Connection
) -> None:
    html = await review(browser, typed())
    refused = await send(browser, html, ("loch.png", b"%PDF-1.4 not an image", "image/png"))
    assert refused.status_code == 400
    assert 'href="#file-foto"' in refused.text
    assert re.search(r'id="file-foto"[^>]*aria-invalid="true"', refused.text, re.S)
    assert "Meldung prüfen und absenden" in refused.text  # the review again, nothing lost
    for table in ("requests", "attachments", "tracking_tokens", "auth_throttle"):
        assert await count(raw_connection, table) == 0, table


async def test_a_report_post_without_csrf_token_is_refused(
    browser: Client, raw_connection: asyncpg.Connection
) -> None:
    html = await review(browser, typed())
    fields = {k: v for k, v in send_form(html).items() if k != "_csrf_token"}
    answer = await browser.post(FORM + "/send", data=fields)
    assert answer.status_code == 403
    assert await count(raw_connection, "requests") == 0


async def test_a_service_that_is_not_public_has_no_report_page(browser: Client) -> None:
    for path in ("/services/hundeanmeldung/report", "/services/gibt-es-nicht/report"):
        page = await browser.get(path)
        assert page.status_code == 404
        assert "Seite nicht gefunden" in page.text
    form = await browser.get(FORM)
    for step in ("", "/send"):
        posted = await browser.post(
            f"/services/hundeanmeldung/report{step}",
            **encoded([("_csrf_token", csrf_of(form.text)), *as_form(example("hundeanmeldung"))]),
        )
        assert posted.status_code == 404


async def test_too_many_reports_from_one_address_get_a_429_page(
    throttled_browser: Client, raw_connection: asyncpg.Connection
) -> None:
    first = await send(throttled_browser, await review(throttled_browser, typed()))
    assert first.status_code == 201
    html = await review(throttled_browser, typed())
    second = await send(throttled_browser, html)
    assert second.status_code == 429
    assert 1 <= int(second.headers["retry-after"]) <= 3600
    assert "zu viele Meldungen" in second.text
    assert "Tiefes Schlagloch" in second.text  # the review again, nothing lost
    # The API counts the same reports: one address, one limit.
    api = await throttled_browser.post("/api/v1/requests", json=report())
    assert api.status_code == 429
    assert await count(raw_connection, "requests") == 1


async def test_unknown_tracking_token_is_a_404_page(browser: Client) -> None:
    for token in ("tr_" + "A" * 43, "nonsense", "tr_"):
        page = await browser.get(f"/tracking/{token}")
        assert page.status_code == 404
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "keine Meldung" in page.text


async def test_tracking_page_shows_public_replies_and_never_contact_or_internal_data(
    browser: Client, make_staff: MakeStaff, raw_connection: asyncpg.Connection
) -> None:
    contact = {"email": SECRET_EMAIL, "name": SECRET_NAME, "phone": SECRET_PHONE}
    filed = await browser.post("/api/v1/requests", json=report(contact=contact))
    token = filed.json()["tracking_token"]
    clerk = await make_staff(departments=("tiefbau",))
    request_id = str(
        await raw_connection.fetchval(
            "SELECT id FROM requests WHERE reference = $1", filed.json()["reference"]
        )
    )
    current = (await browser.get(f"/api/v1/requests/{request_id}", headers=clerk.headers)).json()
    await fire(browser, clerk, current, "start_work")
    for body, visibility in (("Wir reparieren es.", "public"), ("INTERN-4711", "internal")):
        posted = await browser.post(
            f"/api/v1/requests/{request_id}/comments",
            json={"body": body, "visibility": visibility},
            headers=clerk.headers,
        )
        assert posted.status_code == 201
    page = await browser.get(f"/tracking/{token}")
    assert page.status_code == 200
    assert "Wir reparieren es." in page.text
    assert "In Bearbeitung" in page.text
    for secret in (SECRET_EMAIL, SECRET_NAME, SECRET_PHONE, "INTERN-4711", request_id):
        assert secret not in page.text
    assert str(clerk.id) not in page.text
    assert 'name="file.foto"' not in page.text  # no photos once the office works on it


async def test_a_photo_can_be_added_later_on_the_tracking_page(
    browser: Client, raw_connection: asyncpg.Connection
) -> None:
    filed = await browser.post("/api/v1/requests", json=report())
    path = f"/tracking/{filed.json()['tracking_token']}"
    page = await browser.get(path)
    assert 'name="file.foto"' in page.text
    wrong = await browser.post(
        path + "/photos",
        data={"_csrf_token": csrf_of(page.text)},
        files={"file.foto": ("x.png", b"GIF89a not allowed", "image/png")},
    )
    assert wrong.status_code == 400
    assert 'href="#file-foto"' in wrong.text
    added = await browser.post(
        path + "/photos",
        data={"_csrf_token": csrf_of(page.text)},
        files={"file.foto": ("loch.png", png_bytes(), "image/png")},
    )
    assert added.status_code == 303
    assert added.headers["location"] == path + "?notice=docs.uploaded"
    assert await count(raw_connection, "attachments") == 1


async def test_tracking_tokens_never_reach_the_access_log(
    database_url: str, session_tmp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="eservice.access")
    settings = make_settings(session_tmp, access_log="true", log_level="INFO")
    async with AsyncTestClient(
        app=create_app(settings, database_url), base_url="https://testserver.local"
    ) as client:
        token = (await client.post("/api/v1/requests", json=report())).json()["tracking_token"]
        for path in (f"/tracking/{token}", f"/api/v1/tracking/{token}", "/tracking/tr_unknown"):
            await client.get(path)
    paths = [getattr(r, "path", "") for r in caplog.records if r.name == "eservice.access"]
    assert "/tracking/{token}" in paths
    assert "/api/v1/tracking/{token}" in paths
    assert "/api/v1/requests" in paths  # other paths are logged as they are
    # What the server logs (the test client's own httpx lines name the URL it asked for).
    text = "\n".join(
        r.getMessage() + " " + str(r.__dict__)
        for r in caplog.records
        if r.name.startswith("eservice")
    )
    assert token not in text
    assert "tr_unknown" not in text


async def test_hostile_path_input_on_report_and_tracking_pages_is_never_a_500(
    browser: Client,
) -> None:
    """A NUL or a huge segment is refused as a page (4xx), never a server error."""
    for path in (
        "/services/%00/report",
        "/services/" + "x" * 5000 + "/report",
        "/tracking/%00%01",
        "/tracking/" + "A" * 20000,
        "/tracking/%C3%BC%E2%80%AE",
        "/api/v1/tracking/%00",
    ):
        page = await browser.get(path)
        assert 400 <= page.status_code < 500, (path[:40], page.status_code)
