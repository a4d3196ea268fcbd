"""Uploading a document and getting exactly the same bytes back, with integrity data."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import asyncpg
import pytest

from eservice.core.config import Settings
from tests.attachments.conftest import (
    BACKENDS,
    Client,
    FileDraft,
    Upload,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    sha256,
    stored_files,
)
from tests.support.auth import Caller, MakeCitizen


@pytest.mark.parametrize("client", BACKENDS, indirect=True)
async def test_upload_returns_201_with_sha256_and_size(
    client: Client, citizen: Caller, file_draft: FileDraft, upload: Upload
) -> None:
    request_id = await file_draft(citizen)
    content = pdf_bytes(5000)
    response = await upload(citizen, request_id, content)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sha256"] == sha256(content)
    assert body["size"] == len(content)
    assert body["content_type"] == "application/pdf"
    assert body["filename"] == "fahrzeugschein.pdf"
    assert body["kind"] == "fahrzeugschein"
    assert body["visibility"] == "public"
    assert response.headers["location"] == body["url"]
    assert body["url"] == f"/api/v1/requests/{request_id}/attachments/{body['id']}"


@pytest.mark.parametrize("client", BACKENDS, indirect=True)
async def test_download_is_byte_exact_with_matching_sha256_and_safe_headers(
    client: Client, citizen: Caller, file_draft: FileDraft, upload: Upload
) -> None:
    request_id = await file_draft(citizen)
    content = pdf_bytes(300_000)
    created = (
        await upload(citizen, request_id, content, filename="Fahrzeugschein Müller.pdf")
    ).json()

    response = await client.get(created["url"], headers=citizen.headers)

    assert response.status_code == 200
    assert response.content == content
    assert hashlib.sha256(response.content).hexdigest() == created["sha256"]
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(content))
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Fahrzeugschein%20M%C3%BCller.pdf" in disposition
    assert 'filename="Fahrzeugschein Muller.pdf"' in disposition
    assert response.headers["etag"] == f'"{created["sha256"]}"'
    expected_digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert response.headers["repr-digest"] == f"sha-256=:{expected_digest}:"


@pytest.mark.parametrize("client", BACKENDS, indirect=True)
async def test_type_comes_from_the_bytes_for_images(
    client: Client, citizen: Caller, file_draft: FileDraft, upload: Upload
) -> None:
    request_id = await file_draft(citizen)
    png = await upload(
        citizen, request_id, png_bytes(), filename="scan", content_type="application/octet-stream"
    )
    jpeg = await upload(
        citizen, request_id, jpeg_bytes(), filename="foto.jpg", content_type="image/jpeg"
    )
    assert png.status_code == 201, png.text
    assert png.json()["content_type"] == "image/png"
    assert png.json()["filename"] == "scan"
    assert jpeg.status_code == 201, jpeg.text
    assert jpeg.json()["content_type"] == "image/jpeg"
    downloaded = await client.get(png.json()["url"], headers=citizen.headers)
    assert downloaded.headers["content-type"] == "image/png"
    assert downloaded.content == png_bytes()


async def test_path_traversal_in_the_file_name_is_sanitised_and_never_a_path(
    client: Client, citizen: Caller, file_draft: FileDraft, upload: Upload, settings: Settings
) -> None:
    request_id = await file_draft(citizen)
    response = await upload(citizen, request_id, pdf_bytes(), filename="../../../etc/passwd.pdf")
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "passwd.pdf"
    hidden = await upload(citizen, request_id, pdf_bytes(), filename="..\\..\\.bashrc.pdf")
    assert hidden.json()["filename"] == "bashrc.pdf"
    files = stored_files(settings)
    assert files
    assert all(path.name != "passwd.pdf" and "etc" not in path.parts for path in files)
    root = settings.data_path / "files"
    assert all(path.resolve().is_relative_to(root) for path in files)


@pytest.mark.parametrize("client", BACKENDS, indirect=True)
async def test_list_shows_attachments_oldest_first_with_pagination(
    client: Client, citizen: Caller, file_draft: FileDraft, upload: Upload
) -> None:
    request_id = await file_draft(citizen)
    ids = []
    for index in range(3):
        created = await upload(
            citizen, request_id, pdf_bytes(1000 + index), filename=f"seite{index}.pdf"
        )
        ids.append(created.json()["id"])
    first = await client.get(
        f"/api/v1/requests/{request_id}/attachments", params={"limit": 2}, headers=citizen.headers
    )
    assert first.status_code == 200
    page: dict[str, Any] = first.json()
    assert [item["id"] for item in page["items"]] == ids[:2]
    assert page["next_cursor"]
    second = await client.get(
        f"/api/v1/requests/{request_id}/attachments",
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=citizen.headers,
    )
    assert [item["id"] for item in second.json()["items"]] == ids[2:]
    assert second.json()["next_cursor"] is None
    assert page["items"][0]["kind_label"] == "Zulassungsbescheinigung Teil I (Fahrzeugschein)"


async def test_kind_label_follows_the_callers_language(
    client: Client, make_citizen: MakeCitizen, file_draft: FileDraft, upload: Upload
) -> None:
    english = await make_citizen(locale="en")
    request_id = await file_draft(english)
    created = await upload(english, request_id, pdf_bytes())
    assert created.json()["kind_label"] == "Vehicle registration certificate part I"


@pytest.mark.parametrize("client", BACKENDS, indirect=True)
async def test_an_upload_is_an_event_in_the_history_and_the_outbox(
    citizen: Caller, file_draft: FileDraft, upload: Upload, raw_connection: asyncpg.Connection
) -> None:
    request_id = await file_draft(citizen)
    created = (await upload(citizen, request_id, pdf_bytes())).json()
    events = await raw_connection.fetch(
        "SELECT type, visibility, data FROM request_events WHERE request_id = $1 ORDER BY id",
        request_id,
    )
    added = [e for e in events if e["type"] == "attachment_added"]
    assert len(added) == 1
    assert added[0]["visibility"] == "public"
    assert created["id"] in added[0]["data"]
    outbox = await raw_connection.fetch(
        "SELECT payload FROM outbox WHERE payload->>'type' = 'request.attachment_added'"
    )
    assert len(outbox) == 1
