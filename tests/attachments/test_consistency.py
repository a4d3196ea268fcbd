"""Rows and files stay consistent: rollbacks, leftovers, retention, idempotent retries."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from uuid import UUID

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.attachments.backends import storage_from_settings
from eservice.attachments.consistency import wait_for_file_removals
from eservice.attachments.filesystem import FilesystemStorage
from eservice.attachments.maintenance import cleanup_leftovers
from eservice.attachments.repository import document_kinds_present
from eservice.attachments.retention import delete_request_files
from eservice.attachments.storage import new_key, staging_dir
from eservice.attachments.uploads import IncomingUpload, upload_attachment
from eservice.core.config import Settings
from eservice.core.transaction import transaction
from tests.attachments.conftest import Client, FileDraft, Upload, pdf_bytes, stored_files
from tests.attachments.s3_server import S3Server
from tests.support.auth import Caller

ClientWith = Callable[..., AsyncTestClient[Litestar]]
BOUNDARY = "consistency-boundary"


def _multipart(content: bytes, kind: str = "fahrzeugschein") -> bytes:
    return (
        (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="f.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 10_000):
        yield body[start : start + 10_000]


def _incoming(content: bytes) -> IncomingUpload:
    body = _multipart(content)
    return IncomingUpload(
        chunks=_chunks(body),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        content_length=len(body),
    )


async def test_a_rolled_back_transaction_removes_the_stored_file(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    citizen: Caller,
    file_draft: FileDraft,
) -> None:
    request_id = await file_draft(citizen)
    storage = FilesystemStorage(settings.data_path / "files")
    async with sessionmaker() as session:
        await session.begin()
        created = await upload_attachment(
            session,
            settings=settings,
            storage=storage,
            principal=citizen.principal,
            request_id=request_id,
            upload=_incoming(pdf_bytes()),
        )
        assert created.size == len(pdf_bytes())
        assert len(stored_files(settings)) == 1
        await session.rollback()
    await wait_for_file_removals()
    assert stored_files(settings) == []


async def test_a_committed_upload_keeps_its_file(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    citizen: Caller,
    file_draft: FileDraft,
) -> None:
    request_id = await file_draft(citizen)
    storage = FilesystemStorage(settings.data_path / "files")
    async with transaction(sessionmaker) as session:
        await upload_attachment(
            session,
            settings=settings,
            storage=storage,
            principal=citizen.principal,
            request_id=request_id,
            upload=_incoming(pdf_bytes()),
        )
    await wait_for_file_removals()
    [stored] = stored_files(settings)
    assert stored.read_bytes() == pdf_bytes()


def _age(path: os.PathLike[str], minutes: int) -> None:
    past = time.time() - minutes * 60
    os.utime(path, (past, past))


async def test_cleanup_removes_old_unreferenced_files_and_stale_staging_only(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
) -> None:
    request_id = await file_draft(citizen)
    kept = (await upload(citizen, request_id, pdf_bytes())).json()
    [referenced] = stored_files(settings)
    _age(referenced, 120)
    storage = FilesystemStorage(settings.data_path / "files")
    old_orphan = storage.path_for(new_key())
    young_orphan = storage.path_for(new_key())
    for path in (old_orphan, young_orphan):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"left over")
    _age(old_orphan, 120)
    staging = staging_dir(settings)
    staging.mkdir(parents=True, exist_ok=True)
    stale_upload = staging / "upload-stale"
    stale_upload.write_bytes(b"half")
    _age(stale_upload, 120)

    report = await cleanup_leftovers(
        sessionmaker, storage, settings, older_than=timedelta(minutes=60)
    )

    assert (report.removed_files, report.removed_staged) == (1, 1)
    assert sorted(stored_files(settings)) == sorted([referenced, young_orphan])
    assert kept["sha256"]


async def test_cleanup_works_against_s3_too(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    client_with: ClientWith,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    s3_server: S3Server,
    s3_bucket: str,
) -> None:
    request_id = await file_draft(citizen)
    async with client_with(**s3_server.settings(s3_bucket)) as client:
        kept = await upload(citizen, request_id, pdf_bytes(), via=client)
    assert kept.status_code == 201
    [referenced] = s3_server.keys(s3_bucket)
    client = s3_server.client()
    orphans = [f"attachments/{new_key()}" for _ in range(3)]
    for name in [*orphans, "attachments/not-ours"]:
        client.put_object(Bucket=s3_bucket, Key=name, Body=b"left over")
    # The store sets the modification time; let these age past a short grace period.
    await asyncio.sleep(2.2)
    young = f"attachments/{new_key()}"
    client.put_object(Bucket=s3_bucket, Key=young, Body=b"young")

    report = await cleanup_leftovers(
        sessionmaker, s3_server.storage(s3_bucket), settings, older_than=timedelta(seconds=1)
    )

    assert report.removed_files == 3
    assert s3_server.keys(s3_bucket) == sorted([referenced, young, "attachments/not-ours"])


async def test_retention_hook_deletes_a_requests_files_and_names(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: Client,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    raw_connection: asyncpg.Connection,
) -> None:
    request_id = await file_draft(citizen)
    other_request = await file_draft(citizen)
    first = (await upload(citizen, request_id, pdf_bytes(), filename="Ausweis Max.pdf")).json()
    await upload(citizen, request_id, pdf_bytes(3000))
    survivor = (await upload(citizen, other_request, pdf_bytes())).json()

    async with transaction(sessionmaker) as session:
        removed = await delete_request_files(session, request_id, storage_from_settings(settings))
    await wait_for_file_removals()

    assert removed == 2
    assert len(stored_files(settings)) == 1
    rows = await raw_connection.fetch(
        "SELECT filename, storage_key, sha256, deleted_at FROM attachments WHERE request_id = $1",
        request_id,
    )
    assert {r["filename"] for r in rows} == {"removed"}
    assert all(r["storage_key"] is None and r["deleted_at"] is not None for r in rows)
    assert first["sha256"] in {r["sha256"] for r in rows}
    assert (await client.get(first["url"], headers=citizen.headers)).status_code == 404
    assert (await client.get(survivor["url"], headers=citizen.headers)).status_code == 200
    async with transaction(sessionmaker) as session:
        assert await document_kinds_present(session, request_id) == set()
        assert await document_kinds_present(session, other_request) == {"fahrzeugschein"}


async def test_retrying_an_upload_with_the_same_idempotency_key_stores_it_once(
    client: Client,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    request_id = await file_draft(citizen)
    key = {"Idempotency-Key": "upload-1"}
    first = await upload(citizen, request_id, pdf_bytes(), headers=key)
    again = await upload(citizen, request_id, pdf_bytes(), headers=key)
    other = await upload(citizen, request_id, pdf_bytes(4000), headers=key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert other.status_code == 422
    assert await raw_connection.fetchval("SELECT count(*) FROM attachments") == 1
    assert len(stored_files(settings)) == 1
    assert isinstance(UUID(first.json()["id"]), UUID)
