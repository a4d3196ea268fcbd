"""A citizen's message on a request, the inbox, and documents downloaded from the pages."""

from __future__ import annotations

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.auth import MakeCitizen, MakeStaff
from tests.web.conftest import csrf_of, encoded, log_in
from tests.web.test_filing import PDF, as_form, example

Client = AsyncTestClient[Litestar]


async def test_citizen_writes_a_message_and_an_empty_one_is_refused_at_the_field(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    from tests.web.test_follow_and_console import file_certificate

    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    request_id = await file_certificate(browser)
    page = await browser.get(f"/requests/{request_id}")
    empty = await browser.post(
        f"/requests/{request_id}/comments", data={"_csrf_token": csrf_of(page.text), "body": " "}
    )
    assert empty.status_code == 400
    assert 'aria-describedby="body-error"' in empty.text
    sent = await browser.post(
        f"/requests/{request_id}/comments",
        data={"_csrf_token": csrf_of(page.text), "body": "Ich hole sie selbst ab."},
    )
    assert sent.status_code == 303
    stored = await raw_connection.fetchval(
        "select visibility from request_events where comment = 'Ich hole sie selbst ab.'"
    )
    assert stored == "public"


async def test_inbox_lists_notifications_and_marks_them_read(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    empty = await browser.get("/inbox")
    assert "Keine Nachrichten." in empty.text
    # An item as the worker's fan-out writes it.
    await raw_connection.execute(
        "insert into inbox_items (id, user_id, event_id, type, request_id, reference,"
        " service_code, payload) values (gen_random_uuid(), $1, 1, 'request.transitioned',"
        " gen_random_uuid(), 'HL-2026-ABCDEFGH', 'meldebescheinigung', $2::jsonb)",
        citizen.id,
        '{"state_label": {"de": "In Bearbeitung", "en": "In progress"},'
        ' "service_title": {"de": "Meldebescheinigung", "en": "Certificate"}}',
    )
    inbox = await browser.get("/inbox")
    assert "HL-2026-ABCDEFGH" in inbox.text
    assert "Meldebescheinigung: In Bearbeitung" in inbox.text
    item = inbox.text.split('action="/inbox/')[1].split("/read")[0]
    read = await browser.post(f"/inbox/{item}/read", data={"_csrf_token": csrf_of(inbox.text)})
    assert read.status_code == 303
    assert await raw_connection.fetchval("select read_at is not null from inbox_items")


async def test_staff_download_a_citizens_document_from_the_console(
    browser: Client,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["verkehr"])
    await log_in(browser, citizen.email or "", citizen.password or "")
    page = await browser.get("/services/bewohnerparkausweis/apply")
    filed = await browser.post(
        "/services/bewohnerparkausweis/apply",
        **encoded([("_csrf_token", csrf_of(page.text)), *as_form(example("bewohnerparkausweis"))]),
    )
    docs_url = filed.headers["location"]
    docs = await browser.get(docs_url)
    await browser.post(
        docs_url,
        data={"_csrf_token": csrf_of(docs.text), "kind": "fahrzeugschein"},
        files={"file": ("schein.pdf", PDF, "application/pdf")},
    )
    request_id = docs_url.split("/")[2]
    review = await browser.get(f"/requests/{request_id}/review")
    version = review.text.split('name="version" value="')[1].split('"')[0]
    await browser.post(
        f"/requests/{request_id}/submit",
        data={"_csrf_token": csrf_of(review.text), "version": version},
    )
    await browser.post("/logout", data={"_csrf_token": csrf_of(review.text)})
    await log_in(browser, clerk.email or "", clerk.password or "")
    page = await browser.get(f"/staff/requests/{request_id}")
    link = page.text.split(f'href="/requests/{request_id}/attachments/')[1].split('"')[0]
    download = await browser.get(f"/requests/{request_id}/attachments/{link}")
    assert download.status_code == 200
    assert download.content == PDF
    assert "attachment" in download.headers["content-disposition"]
    assert download.headers["cache-control"] == "private, no-store"
    # Reading as staff is recorded, as through the API.
    assert (
        await raw_connection.fetchval(
            "select count(*) from request_access_log where request_id = $1", request_id
        )
        >= 1
    )
