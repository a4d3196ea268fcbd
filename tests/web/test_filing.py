"""Filing in the browser: form, validation at fields, draft, documents, review, submission."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.auth import MakeCitizen
from tests.web.conftest import csrf_of, encoded, log_in
from tests.web.html_forms import submitted

Client = AsyncTestClient[Litestar]
SERVICES = Path(__file__).resolve().parents[2] / "services"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def example(code: str, index: int = 0) -> dict[str, Any]:
    schema = json.loads((SERVICES / f"{code}.v1.form.json").read_text())
    return dict(schema["examples"][index])


def as_form(data: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            pairs.append((f"d.{key}", text))
    return pairs


async def test_unverified_citizen_is_told_to_confirm_the_email_first(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen(verified=False)
    await log_in(browser, citizen.email or "", citizen.password or "")
    page = await browser.get("/services/hundeanmeldung/apply")
    assert 'href="/verify-email"' in page.text  # every page reminds them
    answer = await browser.post(
        "/services/hundeanmeldung/apply",
        **encoded([("_csrf_token", csrf_of(page.text)), *as_form(example("hundeanmeldung"))]),
    )
    assert answer.status_code == 403
    assert "bestätigen Sie zuerst Ihre E-Mail-Adresse" in answer.text
    assert await raw_connection.fetchval("select count(*) from requests") == 0


async def test_invalid_form_shows_messages_at_fields_and_files_nothing(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    page = await browser.get("/services/hundeanmeldung/apply")
    assert page.status_code == 200
    data = example("hundeanmeldung") | {"chipnummer": "12", "weitere_hunde": "viele"}
    del data["nachname"]
    answer = await browser.post(
        "/services/hundeanmeldung/apply",
        **encoded([("_csrf_token", csrf_of(page.text)), *as_form(data)]),
    )
    assert answer.status_code == 400
    html = answer.text
    assert 'id="error-summary"' in html
    for anchor in ("#f-nachname", "#f-chipnummer", "#f-weitere_hunde"):
        assert f'href="{anchor}"' in html
    assert 'aria-describedby="f-chipnummer-hint f-chipnummer-error"' in html
    assert 'value="Petersen"' not in html
    assert 'value="Bello"' in html
    assert await raw_connection.fetchval("select count(*) from requests") == 0


async def test_citizen_files_with_a_document_reviews_and_gets_a_reference(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    page = await browser.get("/services/bewohnerparkausweis/apply")
    filed = await browser.post(
        "/services/bewohnerparkausweis/apply",
        **encoded(
            [
                ("_csrf_token", csrf_of(page.text)),
                *as_form(example("bewohnerparkausweis")),
                ("action", "continue"),
            ]
        ),
    )
    assert filed.status_code == 303
    documents_url = filed.headers["location"]
    request_id = re.search(r"/requests/([0-9a-f-]{36})/documents", documents_url)
    assert request_id is not None
    docs = await browser.get(documents_url)
    assert "10 MB" in docs.text
    assert "PDF" in docs.text
    # Submitting before the required document is attached is refused, nothing changes.
    review = await browser.get(f"/requests/{request_id.group(1)}/review")
    early = await browser.post(
        f"/requests/{request_id.group(1)}/submit",
        **encoded([("_csrf_token", csrf_of(review.text)), ("version", "1")]),
    )
    assert early.status_code == 400
    assert await raw_connection.fetchval("select state from requests") == "draft"
    uploaded = await browser.post(
        documents_url,
        data={"_csrf_token": csrf_of(docs.text), "kind": "fahrzeugschein"},
        files={"file": ("schein.pdf", PDF, "application/pdf")},
    )
    assert uploaded.status_code == 303, uploaded.text
    assert await raw_connection.fetchval("select count(*) from attachments") == 1
    review = await browser.get(f"/requests/{request_id.group(1)}/review")
    assert "Schröder" in review.text
    assert "schein.pdf" in review.text
    version = dict(submitted(review.text))["version"]
    done = await browser.post(
        f"/requests/{request_id.group(1)}/submit",
        **encoded([("_csrf_token", csrf_of(review.text)), ("version", version)]),
    )
    assert done.status_code == 303
    confirmation = await browser.get(done.headers["location"])
    reference = await raw_connection.fetchval("select reference from requests")
    assert reference in confirmation.text
    assert await raw_connection.fetchval("select state from requests") == "submitted"
    mine = await browser.get("/requests")
    assert reference in mine.text


async def test_save_as_draft_and_continue_later(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    page = await browser.get("/services/meldebescheinigung/apply")
    saved = await browser.post(
        "/services/meldebescheinigung/apply",
        **encoded(
            [
                ("_csrf_token", csrf_of(page.text)),
                *as_form(example("meldebescheinigung")),
                ("action", "draft"),
            ]
        ),
    )
    assert saved.status_code == 303
    shown = await browser.get(saved.headers["location"])
    assert "Entwurf ist gespeichert" in shown.text
    request_id = await raw_connection.fetchval("select id from requests")
    edit = await browser.get(f"/requests/{request_id}/edit")
    values = dict(submitted(edit.text))
    assert values["d.vorname"] == "Lena"
    values["d.vorname"] = "Lene"
    changed = await browser.post(f"/requests/{request_id}/edit", **encoded(list(values.items())))
    assert changed.status_code == 303
    assert changed.headers["location"].endswith("/review")
    stored = await raw_connection.fetchval("select data->>'vorname' from requests")
    assert stored == "Lene"


async def test_location_is_entered_as_coordinates_without_any_map(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    page = await browser.get("/services/strassenschaden/apply")
    assert 'name="loc.lat"' in page.text
    assert "tile" not in page.text
    token = csrf_of(page.text)
    missing = await browser.post(
        "/services/strassenschaden/apply",
        **encoded([("_csrf_token", token), *as_form(example("strassenschaden"))]),
    )
    assert missing.status_code == 400
    assert 'href="#loc-lat"' in missing.text
    filed = await browser.post(
        "/services/strassenschaden/apply",
        **encoded(
            [
                ("_csrf_token", token),
                *as_form(example("strassenschaden")),
                ("loc.lat", "53,8655"),
                ("loc.lon", "10.6866"),
                ("loc.address", "Mengstraße 4"),
            ]
        ),
    )
    assert filed.status_code == 303
    location = await raw_connection.fetchval("select location::text from requests")
    assert "53.8655" in location
    assert "Mengstraße 4" in location
