"""S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Garage, ...) over httpx.

Path-style addressing (``<endpoint>/<bucket>/<prefix><key>``), Signature Version 4 in headers,
the payload's sha256 sent as ``x-amz-content-sha256`` so the server verifies what it stores.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx

from eservice.attachments.sigv4 import EMPTY_SHA256, canonical_query, sign_headers, uri_encode
from eservice.attachments.storage import (
    CHUNK_SIZE,
    MissingObject,
    StorageError,
    StoredObject,
    check_key,
)
from eservice.core.config import Settings, SettingsError

PREFIX = "attachments/"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class S3Storage:
    """Objects ``<prefix><key>`` in one bucket of an S3-compatible server."""

    def __init__(
        self,
        *,
        endpoint_url: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str,
        prefix: str = PREFIX,
    ) -> None:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SettingsError("ESERVICE_S3_ENDPOINT_URL must be an http(s) URL")
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.host = parts.netloc.rpartition("@")[2]
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        missing = [
            "ESERVICE_" + name.upper()
            for name in ("s3_endpoint_url", "s3_bucket", "s3_access_key", "s3_secret_key")
            if not getattr(settings, name)
        ]
        if missing:
            raise SettingsError("ESERVICE_STORAGE=s3 needs " + ", ".join(missing))
        return cls(
            endpoint_url=str(settings.s3_endpoint_url),
            bucket=str(settings.s3_bucket),
            access_key=str(settings.s3_access_key),
            secret_key=str(settings.s3_secret_key),
            region=settings.s3_region,
        )

    def _request(
        self,
        client: httpx.AsyncClient,
        method: str,
        *,
        key: str | None = None,
        query: Sequence[tuple[str, str]] = (),
        payload_sha256: str = EMPTY_SHA256,
        headers: dict[str, str] | None = None,
        content: AsyncIterator[bytes] | None = None,
    ) -> httpx.Request:
        path = "/" + uri_encode(self.bucket)
        if key is not None:
            path += "/" + uri_encode(self.prefix + check_key(key), keep_slash=True)
        signed = sign_headers(
            method=method,
            host=self.host,
            path=path,
            query=query,
            headers={**(headers or {}), "x-amz-content-sha256": payload_sha256},
            payload_sha256=payload_sha256,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
        )
        url = self.base + path + ("?" + canonical_query(query) if query else "")
        return client.build_request(method, url, headers=signed, content=content)

    async def save(self, key: str, source: Path, *, size: int, sha256: str) -> None:
        headers = {"Content-Length": str(size), "Content-Type": "application/octet-stream"}
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            request = self._request(
                client,
                "PUT",
                key=key,
                payload_sha256=sha256,
                headers=headers,
                content=_file_chunks(source),
            )
            response = await _send(client, request)
            if response.status_code != 200:
                raise StorageError(f"S3 PUT answered {response.status_code}")
        await asyncio.to_thread(source.unlink, missing_ok=True)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        client = httpx.AsyncClient(timeout=TIMEOUT)
        try:
            response = await _send(client, self._request(client, "GET", key=key), stream=True)
        except BaseException:
            await client.aclose()
            raise
        if response.status_code != 200:
            await response.aclose()
            await client.aclose()
            if response.status_code == 404:
                raise MissingObject(key)
            raise StorageError(f"S3 GET answered {response.status_code}")
        return _body_chunks(client, response)

    async def delete(self, key: str) -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await _send(client, self._request(client, "DELETE", key=key))
        if response.status_code not in {200, 204, 404}:
            raise StorageError(f"S3 DELETE answered {response.status_code}")

    async def list_objects(self) -> AsyncIterator[StoredObject]:
        token: str | None = None
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            while True:
                query = [("list-type", "2"), ("prefix", self.prefix)]
                if token:
                    query.append(("continuation-token", token))
                response = await _send(client, self._request(client, "GET", query=query))
                if response.status_code != 200:
                    raise StorageError(f"S3 LIST answered {response.status_code}")
                objects, token = parse_list_result(response.content, self.prefix)
                for item in objects:
                    yield item
                if not token:
                    return


def parse_list_result(body: bytes, prefix: str) -> tuple[list[StoredObject], str | None]:
    """Objects of one ListObjectsV2 page under ``prefix``, and the continuation token."""
    # The endpoint is configured by the operator; expat does not resolve external entities.
    root = ElementTree.fromstring(body)  # noqa: S314
    found: list[StoredObject] = []
    token: str | None = None
    for element in root:
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "NextContinuationToken":
            token = element.text
        if tag != "Contents":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in element}
        name = fields.get("Key", "")
        if not name.startswith(prefix):
            continue
        try:
            key = check_key(name[len(prefix) :])
            modified = datetime.fromisoformat(fields.get("LastModified", ""))
        except ValueError:
            continue
        found.append(StoredObject(key=key, modified_at=modified))
    return found, token


async def _send(
    client: httpx.AsyncClient, request: httpx.Request, *, stream: bool = False
) -> httpx.Response:
    try:
        return await client.send(request, stream=stream)
    except httpx.HTTPError as exc:
        raise StorageError(f"object storage unreachable: {type(exc).__name__}") from exc


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
            yield chunk
    finally:
        handle.close()


async def _body_chunks(client: httpx.AsyncClient, response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes(CHUNK_SIZE):
            yield chunk
    finally:
        await response.aclose()
        await client.aclose()
