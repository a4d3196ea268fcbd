"""A clerk attaches documents from the console: on its own, and with a transition that needs one.

Through the pages only (the citizen files through the API, as any client may), against the real
database and the real file storage; every check is the attachments context's own.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.requests.helpers import PDF, attach_pdf, example, fire
from tests.support.auth import Caller, MakeCitizen, MakeStaff
from tests.support.document_workflow import SERVICE, documents_on_approve
from tests.web.conftest import csrf_of, log_in

__all__ = ["documents_on_approve"]  # the fixture, used by name

Client = AsyncTestClient[Litestar]
NOT_A_PDF = b"MZ\x90\x00 this is a program, not a document"


async def submitted_permit(client: Client, citizen: Caller, service: str) -> dict[str, Any]:
    """A submitted parking permit request (with its registration certificate), via the API."""
    body = {"service": service, "data": example("bewohnerparkausweis"), "submit": False}
    filed = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    assert filed.status_code == 201, filed.text
    request: dict[str, Any] = filed.json()
    await attach_pdf(client, citizen, request["id"], "fahrzeugschein")
    return await fire(client, citizen, request, "submit")


def version_in(html: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match, "the page has no form with the request's version"
    return match.group(1)


async def post_file(
    browser: Client,
    url: str,
    page: str,
    fields: dict[str, str],
    name: str,
    content: bytes,
    filename: str = "schreiben.pdf",
    content_type: str = "application/pdf",
) -> Any:
    return await browser.post(
        url,
        data={"_csrf_token": csrf_of(page), **fields},
        files={name: (filename, content, content_type)},
    )


async def test_clerk_attaches_internal_and_public_documents_the_citizen_sees_only_public(
    browser: Client,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["verkehr"])
    request = await submitted_permit(browser, citizen, "bewohnerparkausweis")
    url = f"/staff/requests/{request['id']}"
    await log_in(browser, clerk.email or "", clerk.password or "")
    page = await browser.get(url)
    # The form data reads as the schema's titles, also for choices (x-enum-titles), not codes.
    assert "<dt>Verhältnis zum Fahrzeug</dt>\n  <dd>Halterin oder Halter</dd>" in page.text
    assert "<dd>12 Monate</dd>" in page.text
    english = await browser.get(url, params={"lang": "en"})
    assert "<dd>Registered keeper</dd>" in english.text
    assert "Unterlage hinzufügen" in page.text
    assert "Erlaubt: PDF, JPEG, PNG; höchstens 10 MB." in page.text  # the kind's limits
    assert 'enctype="multipart/form-data"' in page.text

    for visibility, content in (("internal", PDF + b"%intern"), ("public", PDF + b"%public")):
        page = await browser.get(url)
        stored = await post_file(
            browser,
            f"{url}/documents",
            page.text,
            {"kind": "fahrzeugschein", "visibility": visibility},
            "file",
            content,
        )
        assert stored.status_code == 303, stored.text
        assert stored.headers["location"].endswith("notice=docs.uploaded#docs-h")
    rows = await raw_connection.fetch(
        "SELECT id, visibility, uploader_kind FROM attachments ORDER BY created_at"
    )
    assert [r["visibility"] for r in rows] == ["public", "internal", "public"]
    page = await browser.get(url)
    assert "Die Datei ist hochgeladen." not in page.text  # no notice without the redirect's
    for row, content in zip(rows[1:], (PDF + b"%intern", PDF + b"%public"), strict=True):
        link = f"/requests/{request['id']}/attachments/{row['id']}"
        assert link in page.text
        download = await browser.get(link)
        assert download.status_code == 200
        assert download.content == content  # the stored file, read back from storage

    citizen_list = await browser.get(
        f"/api/v1/requests/{request['id']}/attachments", headers=citizen.headers
    )
    assert [a["id"] for a in citizen_list.json()["items"]] == [
        str(rows[0]["id"]),
        str(rows[2]["id"]),
    ]
    hidden = await browser.get(
        f"/api/v1/requests/{request['id']}/attachments/{rows[1]['id']}", headers=citizen.headers
    )
    assert hidden.status_code == 404


async def test_a_refused_file_is_shown_at_the_field_and_nothing_is_stored(
    browser: Client,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["verkehr"])
    request = await submitted_permit(browser, citizen, "bewohnerparkausweis")
    url = f"/staff/requests/{request['id']}"
    await log_in(browser, clerk.email or "", clerk.password or "")
    before = await raw_connection.fetchval("SELECT count(*) FROM attachments")
    public = {"kind": "fahrzeugschein", "visibility": "public"}
    cases = [
        (public, b"just words", "notiz.txt", "text/plain", "Dateityp ist"),  # 415
        (public, NOT_A_PDF, "schein.pdf", "application/pdf", "Bitte prüfen Sie"),  # not a PDF
        ({**public, "kind": "lageplan"}, PDF, "a.pdf", "application/pdf", "Bitte prüfen Sie"),
        ({**public, "visibility": "geheim"}, PDF, "a.pdf", "application/pdf", "Bitte prüfen"),
    ]
    for fields, content, filename, content_type, message in cases:
        page = await browser.get(url)
        refused = await post_file(
            browser, f"{url}/documents", page.text, fields, "file", content, filename, content_type
        )
        assert refused.status_code == 400, fields
        assert 'id="error-summary"' in refused.text
        assert 'href="#upload-file"' in refused.text
        assert 'aria-invalid="true"' in refused.text
        assert message in refused.text, (fields, refused.text[:2000])
    page = await browser.get(url)
    missing = await browser.post(
        f"{url}/documents",
        data={"_csrf_token": csrf_of(page.text), "kind": "fahrzeugschein", "visibility": "public"},
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert missing.status_code == 400
    assert await raw_connection.fetchval("SELECT count(*) FROM attachments") == before
    added = "SELECT count(*) FROM request_events WHERE type = 'attachment_added'"
    assert await raw_connection.fetchval(added) == before


async def test_a_citizen_cannot_use_the_console_upload(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    request = await submitted_permit(browser, citizen, "bewohnerparkausweis")
    await log_in(browser, citizen.email or "", citizen.password or "")
    page = await browser.get(f"/requests/{request['id']}")
    refused = await post_file(
        browser,
        f"/staff/requests/{request['id']}/documents",
        page.text,
        {"kind": "fahrzeugschein", "visibility": "internal"},
        "file",
        PDF,
    )
    assert refused.status_code == 404
    assert await raw_connection.fetchval("SELECT count(*) FROM attachments") == 1


@pytest.mark.usefixtures("documents_on_approve")
async def test_a_transition_needing_a_document_takes_it_in_its_own_form(
    browser: Client,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["verkehr"])
    request = await submitted_permit(browser, citizen, SERVICE)
    await fire(browser, clerk, request, "start_review")
    url = f"/staff/requests/{request['id']}"
    await log_in(browser, clerk.email or "", clerk.password or "")
    page = await browser.get(url)
    approve = next(f for f in page.text.split("<form ") if 'value="approve"' in f)
    assert 'enctype="multipart/form-data"' in approve
    assert 'name="doc.bescheid"' in approve
    assert 'for="doc-approve-bescheid">Bescheid</label>' in approve
    assert "Erlaubt: PDF; höchstens 1 MB." in approve  # the limits of this kind

    def fields(html: str) -> dict[str, str]:
        return {"transition": "approve", "version": version_in(html), "comment": ""}

    without = await browser.post(
        f"{url}/transitions", data={"_csrf_token": csrf_of(page.text), **fields(page.text)}
    )
    assert without.status_code == 400
    assert "Bitte laden Sie diese Unterlage hoch." in without.text
    assert 'id="doc-approve-bescheid-error"' in without.text
    wrong = await post_file(
        browser, f"{url}/transitions", page.text, fields(page.text), "doc.bescheid", NOT_A_PDF
    )
    assert wrong.status_code == 400
    assert 'id="doc-approve-bescheid-error"' in wrong.text
    assert await raw_connection.fetchval("SELECT state FROM requests") == "in_review"
    assert await raw_connection.fetchval("SELECT count(*) FROM attachments") == 1

    approved = await post_file(
        browser, f"{url}/transitions", page.text, fields(page.text), "doc.bescheid", PDF
    )
    assert approved.status_code == 303, approved.text
    assert await raw_connection.fetchval("SELECT state FROM requests") == "approved"
    kinds = await raw_connection.fetch("SELECT kind, visibility FROM attachments ORDER BY kind")
    assert [(r["kind"], r["visibility"]) for r in kinds] == [
        ("bescheid", "public"),
        ("fahrzeugschein", "public"),
    ]
    page = await browser.get(url)
    assert "Unterlage hinzufügen" not in page.text  # closed: the console offers no upload
