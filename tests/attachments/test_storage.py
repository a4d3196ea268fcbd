"""Storage backends: SigV4, the S3 backend against a real HTTP server, and the filesystem."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eservice.attachments.consistency import wait_for_file_removals
from eservice.attachments.s3 import S3Storage, parse_list_result
from eservice.attachments.sigv4 import EMPTY_SHA256, sign_headers
from eservice.core.config import Settings
from tests.attachments.conftest import FileDraft, Upload, jpeg_bytes, pdf_bytes, stored_files
from tests.attachments.s3_server import (
    ACCESS_KEY,
    BUCKET,
    REGION,
    SECRET_KEY,
    FakeS3,
    running_fake_s3,
)
from tests.support.auth import Caller

ClientWith = Callable[..., AsyncTestClient[Litestar]]


def _signature(headers: dict[str, str]) -> str:
    return headers["Authorization"].rsplit("Signature=", 1)[1]


def test_sigv4_matches_the_published_aws_examples() -> None:
    vanilla = sign_headers(
        method="GET",
        host="example.amazonaws.com",
        path="/",
        query=[],
        headers={},
        payload_sha256=EMPTY_SHA256,
        access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        service="service",
        now=datetime(2015, 8, 30, 12, 36, tzinfo=UTC),
    )
    assert _signature(vanilla) == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    s3_get = sign_headers(
        method="GET",
        host="examplebucket.s3.amazonaws.com",
        path="/test.txt",
        query=[],
        headers={"Range": "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256},
        payload_sha256=EMPTY_SHA256,
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert _signature(s3_get) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    s3_list = sign_headers(
        method="GET",
        host="examplebucket.s3.amazonaws.com",
        path="/",
        query=[("max-keys", "2"), ("prefix", "J")],
        headers={"x-amz-content-sha256": EMPTY_SHA256},
        payload_sha256=EMPTY_SHA256,
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert _signature(s3_list) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"


def _s3_settings(s3: FakeS3, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "storage": "s3",
        "s3_endpoint_url": s3.url,
        "s3_bucket": BUCKET,
        "s3_access_key": ACCESS_KEY,
        "s3_secret_key": SECRET_KEY,
        "s3_region": REGION,
    }
    values.update(overrides)
    return values


async def test_s3_backend_stores_serves_and_removes_files_byte_exact(
    client_with: ClientWith,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    settings: Settings,
) -> None:
    request_id = await file_draft(citizen)
    content = pdf_bytes(700_000)
    with running_fake_s3() as s3:
        async with client_with(**_s3_settings(s3)) as client:
            created = await upload(citizen, request_id, content, via=client)
            assert created.status_code == 201, created.text
            assert len(s3.objects) == 1
            [(key, (stored, _))] = s3.objects.items()
            assert key.startswith("attachments/")
            assert stored == content
            assert stored_files(settings) == []  # nothing left in local staging

            download = await client.get(created.json()["url"], headers=citizen.headers)
            assert download.status_code == 200
            assert download.content == content

            removed = await client.delete(created.json()["url"], headers=citizen.headers)
            assert removed.status_code == 204
            await wait_for_file_removals()
            assert s3.objects == {}


async def test_s3_refusing_the_upload_is_503_and_leaves_nothing_behind(
    client_with: ClientWith,
    citizen: Caller,
    file_draft: FileDraft,
    upload: Upload,
    settings: Settings,
    raw_connection: asyncpg.Connection,
) -> None:
    request_id = await file_draft(citizen)
    with running_fake_s3() as s3:
        async with client_with(**_s3_settings(s3, s3_secret_key="wrong")) as client:
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
        assert s3.objects == {}
    assert stored_files(settings) == []
    assert await raw_connection.fetchval("SELECT count(*) FROM attachments") == 0


async def test_s3_unreachable_is_503_for_downloads(
    client_with: ClientWith, citizen: Caller, file_draft: FileDraft, upload: Upload
) -> None:
    request_id = await file_draft(citizen)
    with running_fake_s3() as s3:
        async with client_with(**_s3_settings(s3)) as client:
            created = (await upload(citizen, request_id, pdf_bytes(), via=client)).json()
        url = s3.url
    async with client_with(**_s3_settings(FakeS3(url=url))) as client:
        response = await client.get(created["url"], headers=citizen.headers)
    assert response.status_code == 503


async def test_s3_listing_follows_continuation_tokens() -> None:
    with running_fake_s3() as s3:
        now = datetime.now(UTC)
        for index in range(5):
            s3.objects[f"attachments/{index:032x}"] = (b"x", now)
        s3.objects["other/00000000000000000000000000000009"] = (b"x", now)
        storage = S3Storage(
            endpoint_url=s3.url,
            bucket=BUCKET,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            region=REGION,
        )
        listed = [item.key async for item in storage.list_objects()]
    assert listed == [f"{index:032x}" for index in range(5)]
    list_calls = [path for method, path in s3.requests if method == "GET"]
    assert len(list_calls) == 3


def test_list_result_ignores_foreign_and_malformed_keys() -> None:
    body = (
        b'<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Contents><Key>attachments/../../etc</Key><LastModified>2026-01-01T00:00:00.000Z"
        b"</LastModified></Contents><Contents><Key>attachments/"
        + b"a"
        * 32
        + b"</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>"
        b"</ListBucketResult>"
    )
    objects, token = parse_list_result(body, "attachments/")
    assert [o.key for o in objects] == ["a" * 32]
    assert token is None
