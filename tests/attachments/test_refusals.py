"""Every limit and refusal of an upload is a 4xx problem, and leaves no file behind."""

from __future__ import annotations

import asyncpg

from eservice.core.config import Settings
from tests.attachments.conftest import (
    Client,
    FileDraft,
    Upload,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    stored_files,
)
from tests.support.auth import Caller

TEN_MB = 10 * 1024 * 1024


def _problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    return body


async def test_file_over_the_kinds_limit_is_413(
    citizen: Caller, file_draft: FileDraft, upload: Upload, settings: Settings
) -> None:
    request_id = await file_draft(citizen)
    response = await upload(citizen, request_id, pdf_bytes(TEN_MB + 1))
    body = _problem(response, 413)
    assert body["limit"] == TEN_MB
    assert stored_files(settings) == []


async def test_file_at_exactly_the_kinds_limit_is_accepted(
    citizen: Caller, file_draft: FileDraft, upload: Upload
) -> None:
    request_id = await file_draft(citizen)
    response = await upload(citizen, request_id, pdf_bytes(TEN_MB))
    assert response.status_code == 201, response.text
    assert response.json()["size"] == TEN_MB


async def test_body_over_the_global_upload_limit_is_413(
    client_with: object, citizen: Caller, file_draft: FileDraft, upload: Upload, settings: Settings
) -> None:
    request_id = await file_draft(citizen)
    async with client_with(max_upload_bytes=4096) as small:  # type: ignore[operator]
        response = await upload(citizen, request_id, pdf_bytes(100_000), via=small)
        ok = await upload(citizen, request_id, pdf_bytes(3000), via=small)
    _problem(response, 413)
    assert ok.status_code == 201, ok.text


async def test_too_many_parts_is_400(
    citizen: Caller, file_draft: FileDraft, client: Client
) -> None:
    request_id = await file_draft(citizen)
    response = await client.post(
        f"/api/v1/requests/{request_id}/attachments",
        files=[
            ("kind", (None, b"fahrzeugschein")),
            ("visibility", (None, b"public")),
            ("file", ("a.pdf", pdf_bytes(), "application/pdf")),
            ("file", ("b.pdf", pdf_bytes(), "application/pdf")),
            ("file", ("c.pdf", pdf_bytes(), "application/pdf")),
        ],
        headers=citizen.headers,
    )
    body = _problem(response, 400)
    assert "parts" in str(body["detail"])


async def test_empty_file_is_422(
    citizen: Caller, file_draft: FileDraft, upload: Upload, settings: Settings
) -> None:
    request_id = await file_draft(citizen)
    body = _problem(await upload(citizen, request_id, b""), 422)
    assert body["errors"] == [{"pointer": "/file", "message": "empty file"}]
    assert stored_files(settings) == []


async def test_type_not_allowed_for_the_kind_is_415(
    citizen: Caller, file_draft: FileDraft, upload: Upload, settings: Settings
) -> None:
    request_id = await file_draft(citizen)
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 40
    body = _problem(
        await upload(citizen, request_id, gif, filename="bild.gif", content_type="image/gif"), 415
    )
    assert "application/pdf" in body["allowed_types"]  # type: ignore[operator]
    exe = b"MZ\x90\x00" + b"\x00" * 200
    _problem(
        await upload(
            citizen, request_id, exe, filename="scan", content_type="application/octet-stream"
        ),
        415,
    )
    text = b"just some words, not a document"
    _problem(
        await upload(
            citizen, request_id, text, filename="x", content_type="application/octet-stream"
        ),
        415,
    )
    assert stored_files(settings) == []


async def test_content_contradicting_its_declared_type_is_422(
    citizen: Caller, file_draft: FileDraft, upload: Upload, settings: Settings
) -> None:
    request_id = await file_draft(citizen)
    body = _problem(
        await upload(
            citizen, request_id, png_bytes(), filename="doc.pdf", content_type="application/pdf"
        ),
        422,
    )
    assert body["claimed_type"] == "application/pdf"
    assert body["detected_type"] == "image/png"
    html = b"<html><script>alert(1)</script></html>"
    _problem(
        await upload(citizen, request_id, html, filename="doc.pdf", content_type="application/pdf"),
        422,
    )
    # the name's extension is a claim too
    _problem(
        await upload(
            citizen,
            request_id,
            jpeg_bytes(),
            filename="doc.png",
            content_type="application/octet-stream",
        ),
        422,
    )
    assert stored_files(settings) == []


async def test_unknown_kind_missing_kind_missing_file_and_unknown_fields_are_422(
    citizen: Caller, file_draft: FileDraft, upload: Upload, client: Client
) -> None:
    request_id = await file_draft(citizen)
    unknown = _problem(await upload(citizen, request_id, pdf_bytes(), kind="lageplan"), 422)
    assert unknown["errors"] == [{"pointer": "/kind", "message": "unknown document kind"}]
    missing = _problem(await upload(citizen, request_id, pdf_bytes(), kind=None), 422)
    assert missing["errors"] == [{"pointer": "/kind", "message": "required"}]
    extra = _problem(
        await upload(citizen, request_id, pdf_bytes(), extra={"state": "approved"}), 422
    )
    assert extra["errors"] == [{"pointer": "/state", "message": "unknown field"}]
    bad_visibility = await upload(citizen, request_id, pdf_bytes(), visibility="secret")
    _problem(bad_visibility, 422)
    no_file = await client.post(
        f"/api/v1/requests/{request_id}/attachments",
        files=[("kind", (None, b"fahrzeugschein"))],
        headers=citizen.headers,
    )
    assert _problem(no_file, 422)["errors"] == [{"pointer": "/file", "message": "required"}]


async def test_a_body_that_is_not_multipart_is_415_and_a_broken_one_400(
    citizen: Caller, file_draft: FileDraft, client: Client
) -> None:
    request_id = await file_draft(citizen)
    url = f"/api/v1/requests/{request_id}/attachments"
    as_json = await client.post(url, json={"kind": "fahrzeugschein"}, headers=citizen.headers)
    _problem(as_json, 415)
    truncated = await client.post(
        url,
        content=b'--xyz\r\nContent-Disposition: form-data; name="kind"\r\n\r\nfahrzeug\r\n--xy',
        headers={**citizen.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    _problem(truncated, 400)


async def test_citizen_may_not_upload_internal_attachments(
    citizen: Caller, file_draft: FileDraft, upload: Upload
) -> None:
    request_id = await file_draft(citizen)
    _problem(await upload(citizen, request_id, pdf_bytes(), visibility="internal"), 403)


async def test_no_orphan_files_or_rows_after_failed_uploads(
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    request_id = await file_draft(citizen)
    failures = [
        await upload(citizen, request_id, pdf_bytes(TEN_MB + 10)),
        await upload(citizen, request_id, png_bytes(), content_type="application/pdf"),
        await upload(citizen, request_id, b""),
        await upload(citizen, request_id, pdf_bytes(), kind="unbekannt"),
    ]
    assert [r.status_code for r in failures] == [413, 422, 422, 422]
    assert stored_files(settings) == []
    assert await raw_connection.fetchval("SELECT count(*) FROM attachments") == 0
