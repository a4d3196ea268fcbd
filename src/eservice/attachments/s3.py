"""S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Garage, ...) through obstore.

Objects are ``<endpoint>/<bucket>/attachments/<key>`` (path-style addressing). obstore signs
every request with Signature V4 over the sha256 of its body (``x-amz-content-sha256``), so the
store verifies what it receives. A staged file larger than one part goes up as a multipart
upload read part by part from disk; downloads are streamed. The whole file's sha256 (computed
while the upload arrived) is kept as the object's metadata ``x-amz-meta-sha256``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterable, AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import obstore
from obstore.exceptions import BaseError, PermissionDeniedError, UnauthenticatedError
from obstore.store import S3Store

from eservice.attachments.storage import (
    CHUNK_SIZE,
    MissingObject,
    StorageError,
    StoredObject,
    check_key,
)
from eservice.core.config import SettingsError

PREFIX = "attachments"
# S3's smallest part size: an upload holds a few parts in memory (two in flight, one being
# read), never the whole file; a file up to one part goes up in a single PUT.
PART_SIZE = 5 * 1024 * 1024
PARTS_IN_FLIGHT = 2
# A store that is down must answer the caller within seconds (503), not after obstore's
# default of ten retries over three minutes. A stalled connection fails after READ_TIMEOUT;
# the overall bound is long because a download lasts as long as the client takes to read it.
CONNECT_TIMEOUT = timedelta(seconds=5)
READ_TIMEOUT = timedelta(seconds=30)
REQUEST_TIMEOUT = timedelta(minutes=30)
RETRIES = 2
RETRY_TIMEOUT = timedelta(seconds=10)

_FAILURES = (BaseError, OSError, ValueError)
_ERROR_CODE = re.compile(r"<Code>(\w+)</Code>")
_REFUSED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"}


class S3Storage:
    """Objects ``attachments/<key>`` in one bucket of an S3-compatible server."""

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
        self.store = S3Store(
            bucket,
            prefix=prefix,
            endpoint=endpoint_url,
            access_key_id=access_key,
            secret_access_key=secret_key,
            region=region,
            virtual_hosted_style_request=False,
            client_options={
                "allow_http": parts.scheme == "http",
                "connect_timeout": CONNECT_TIMEOUT,
                "read_timeout": READ_TIMEOUT,
                "timeout": REQUEST_TIMEOUT,
            },
            retry_config={"max_retries": RETRIES, "retry_timeout": RETRY_TIMEOUT},
        )

    async def save(self, key: str, source: Path, *, size: int, sha256: str) -> None:
        stat = await asyncio.to_thread(source.stat)
        if stat.st_size != size:
            raise StorageError("staged file does not have the received size")
        try:
            await obstore.put_async(
                self.store,
                check_key(key),
                source,
                attributes={"Content-Type": "application/octet-stream", "sha256": sha256},
                chunk_size=PART_SIZE,
                max_concurrency=PARTS_IN_FLIGHT,
            )
        except _FAILURES as exc:
            raise _failure("PUT", exc) from exc
        await asyncio.to_thread(source.unlink, missing_ok=True)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        try:
            result = await obstore.get_async(self.store, check_key(key))
        except FileNotFoundError as exc:
            if _s3_error_code(exc) == "NoSuchBucket":  # S3 answers 404 for both
                raise _failure("GET", exc) from exc
            raise MissingObject(key) from None
        except _FAILURES as exc:
            raise _failure("GET", exc) from exc
        return _chunks(result.stream(min_chunk_size=CHUNK_SIZE))

    async def delete(self, key: str) -> None:
        # S3 answers a missing object's DELETE with success; a missing bucket is an error.
        try:
            await obstore.delete_async(self.store, check_key(key))
        except _FAILURES as exc:
            raise _failure("DELETE", exc) from exc

    async def list_objects(self) -> AsyncIterator[StoredObject]:
        try:
            async for batch in obstore.list(self.store, chunk_size=1000):
                for meta in batch:
                    try:
                        key = check_key(meta["path"])
                    except ValueError:
                        continue  # not one of ours (another prefix inside, a stray upload)
                    yield StoredObject(key=key, modified_at=meta["last_modified"])
        except _FAILURES as exc:
            raise _failure("LIST", exc) from exc


def _failure(operation: str, exc: Exception) -> StorageError:
    """A StorageError that tells an operator what to check, without obstore's debug dump."""
    code = _s3_error_code(exc)
    if isinstance(exc, PermissionDeniedError | UnauthenticatedError) or code in _REFUSED:
        reason = (
            "the store refused the credentials or the bucket's permissions "
            "(check ESERVICE_S3_ACCESS_KEY, ESERVICE_S3_SECRET_KEY, ESERVICE_S3_BUCKET)"
        )
    elif code == "NoSuchBucket":
        reason = "the bucket does not exist (check ESERVICE_S3_BUCKET)"
    else:
        first_line = str(exc).split("\n", 1)[0]
        reason = f"{type(exc).__name__}: {first_line[:300]}"
    return StorageError(f"S3 {operation} failed: {reason}")


def _s3_error_code(exc: Exception) -> str | None:
    # obstore classifies only some refusals (a refused listing is a GenericError) but quotes
    # the store's answer, whose <Code> is S3's documented error code.
    found = _ERROR_CODE.search(str(exc))
    return found.group(1) if found else None


async def _chunks(stream: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    try:
        async for chunk in stream:
            yield chunk
    except _FAILURES as exc:
        raise _failure("GET", exc) from exc
