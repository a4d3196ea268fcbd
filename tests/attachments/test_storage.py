"""The S3 backend against a real S3-compatible server (moto, with signatures checked)."""

from __future__ import annotations

import ast
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eservice import attachments as attachments_package
from eservice.attachments.consistency import wait_for_file_removals
from eservice.attachments.s3 import PART_SIZE
from eservice.attachments.storage import CHUNK_SIZE, MissingObject, StorageError, new_key
from eservice.core.config import Settings
from tests.attachments.conftest import FileDraft, Upload, jpeg_bytes, pdf_bytes, stored_files
from tests.attachments.s3_server import S3Server
from tests.support.auth import Caller
from tests.support.live_server import free_port

ClientWith = Callable[..., AsyncTestClient[Litestar]]


async def test_s3_backend_stores_serves_and_removes_files_byte_exact(
    client_with: ClientWith,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    settings: Settings,
    s3_server: S3Server,
    s3_bucket: str,
) -> None:
    request_id = await file_draft(citizen)
    content = pdf_bytes(700_000)
    async with client_with(**s3_server.settings(s3_bucket)) as client:
        created = await upload(citizen, request_id, content, via=client)
        assert created.status_code == 201, created.text
        [name] = s3_server.keys(s3_bucket)
        assert name == "attachments/" + name.removeprefix("attachments/")
        stored = s3_server.client().get_object(Bucket=s3_bucket, Key=name)
        assert stored["Body"].read() == content
        assert stored["Metadata"] == {"sha256": created.json()["sha256"]}
        assert stored_files(settings) == []  # nothing left in local staging

        download = await client.get(created.json()["url"], headers=citizen.headers)
        assert download.status_code == 200
        assert download.content == content

        removed = await client.delete(created.json()["url"], headers=citizen.headers)
        assert removed.status_code == 204
        await wait_for_file_removals()
    assert s3_server.keys(s3_bucket) == []


async def test_s3_streams_a_file_larger_than_a_part_as_a_multipart_upload(
    client_with: ClientWith,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    s3_server: S3Server,
    s3_bucket: str,
) -> None:
    request_id = await file_draft(citizen)
    content = pdf_bytes(PART_SIZE + PART_SIZE // 2)
    async with client_with(**s3_server.settings(s3_bucket)) as client:
        created = await upload(citizen, request_id, content, via=client)
        assert created.status_code == 201, created.text
        [name] = s3_server.keys(s3_bucket)
        # A multipart object's ETag ends in "-<number of parts>".
        head = s3_server.client().head_object(Bucket=s3_bucket, Key=name)
        assert head["ETag"].strip('"').endswith("-2")
        assert head["ContentLength"] == len(content)

        download = await client.get(created.json()["url"], headers=citizen.headers)
    assert download.status_code == 200
    assert download.headers["content-length"] == str(len(content))
    assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(content).hexdigest()


async def test_s3_downloads_arrive_in_chunks(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    content = bytes(range(256)) * (PART_SIZE // 256 + 1000)
    staged = tmp_path / "staged"
    staged.write_bytes(content)
    storage = s3_server.storage(s3_bucket)
    key = new_key()

    await storage.save(key, staged, size=len(content), sha256=hashlib.sha256(content).hexdigest())

    assert not staged.exists()  # the staged file is gone once stored
    chunks = [chunk async for chunk in await storage.open(key)]
    assert len(chunks) > 1
    assert all(len(chunk) >= CHUNK_SIZE for chunk in chunks[:-1])
    assert b"".join(chunks) == content


async def test_s3_refuses_a_staged_file_of_another_size(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    staged = tmp_path / "staged"
    staged.write_bytes(b"abc")
    with pytest.raises(StorageError):
        await s3_server.storage(s3_bucket).save(new_key(), staged, size=4, sha256="0" * 64)
    assert s3_server.keys(s3_bucket) == []


async def test_s3_missing_object_is_missing_and_deleting_it_is_quiet(
    s3_server: S3Server, s3_bucket: str
) -> None:
    storage = s3_server.storage(s3_bucket)
    with pytest.raises(MissingObject):
        await storage.open(new_key())
    await storage.delete(new_key())


async def test_an_attachment_whose_object_vanished_answers_404(
    client_with: ClientWith,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    s3_server: S3Server,
    s3_bucket: str,
) -> None:
    request_id = await file_draft(citizen)
    async with client_with(**s3_server.settings(s3_bucket)) as client:
        created = (await upload(citizen, request_id, pdf_bytes(), via=client)).json()
        [name] = s3_server.keys(s3_bucket)
        s3_server.client().delete_object(Bucket=s3_bucket, Key=name)
        response = await client.get(created["url"], headers=citizen.headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("wrong", ["access_key", "secret_key"])
async def test_s3_wrong_credentials_are_503_with_a_clear_log_line_and_leave_nothing_behind(
    wrong: str,
    client_with: ClientWith,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    settings: Settings,
    raw_connection: asyncpg.Connection,
    s3_server: S3Server,
    s3_bucket: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    request_id = await file_draft(citizen)
    overrides = {f"s3_{wrong}": "AKIAWRONGWRONGWRONG1"}
    with caplog.at_level(logging.WARNING, logger="eservice.attachments.storage"):
        async with client_with(**s3_server.settings(s3_bucket, **overrides)) as client:
            refused = await upload(
                citizen,
                request_id,
                jpeg_bytes(),
                content_type="image/jpeg",
                filename="f.jpg",
                via=client,
            )
    assert refused.status_code == 503
    assert refused.json()["type"].endswith("service-unavailable")
    assert refused.headers["retry-after"] == "30"
    assert "the store refused the credentials" in caplog.text
    assert "ESERVICE_S3_SECRET_KEY" in caplog.text
    assert s3_server.keys(s3_bucket) == []
    assert stored_files(settings) == []
    assert await raw_connection.fetchval("SELECT count(*) FROM attachments") == 0


async def test_s3_unreachable_or_misconfigured_is_503_for_downloads(
    client_with: ClientWith,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    s3_server: S3Server,
    s3_bucket: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    request_id = await file_draft(citizen)
    async with client_with(**s3_server.settings(s3_bucket)) as client:
        created = (await upload(citizen, request_id, pdf_bytes(), via=client)).json()
    nobody_listens = f"http://127.0.0.1:{free_port()}"
    variants = [
        s3_server.settings(s3_bucket, s3_endpoint_url=nobody_listens),
        s3_server.settings(s3_bucket, s3_secret_key="wrong"),
        s3_server.settings("no-such-bucket"),
    ]
    for variant in variants:
        async with client_with(**variant) as client:
            response = await client.get(created["url"], headers=citizen.headers)
        assert response.status_code == 503, variant
        assert response.json()["type"].endswith("service-unavailable")
    assert "the bucket does not exist (check ESERVICE_S3_BUCKET)" in caplog.text


async def test_s3_listing_yields_only_our_keys(s3_server: S3Server, s3_bucket: str) -> None:
    ours = sorted(new_key() for _ in range(3))
    foreign = [
        "attachments/not-a-key",
        f"attachments/{new_key()[:2]}/{new_key()}",
        f"other/{new_key()}",
        new_key(),
    ]
    client = s3_server.client()
    for name in [f"attachments/{key}" for key in ours] + foreign:
        client.put_object(Bucket=s3_bucket, Key=name, Body=b"x")

    listed = [item async for item in s3_server.storage(s3_bucket).list_objects()]

    assert sorted(item.key for item in listed) == ours
    assert all(item.modified_at.tzinfo is not None for item in listed)


async def test_s3_listing_with_wrong_credentials_raises_a_storage_error(
    s3_server: S3Server, s3_bucket: str
) -> None:
    storage = s3_server.storage(s3_bucket, secret_key="wrong")
    with pytest.raises(StorageError, match="refused the credentials"):
        [item async for item in storage.list_objects()]


def _attachment_imports(module: str) -> set[str]:
    """The ``eservice.attachments`` modules ``module`` imports, at any depth of its code."""
    source = Path(attachments_package.__file__).parent / f"{module}.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("eservice.attachments")}


def test_the_storage_interface_imports_no_backend_and_the_backends_only_it() -> None:
    assert _attachment_imports("storage") == set()
    for backend in ("filesystem", "s3"):
        assert _attachment_imports(backend) == {"eservice.attachments.storage"}
    assert _attachment_imports("backends") == {
        "eservice.attachments.filesystem",
        "eservice.attachments.s3",
        "eservice.attachments.storage",
    }
