"""Where attachment files live: a small interface and its filesystem implementation.

Objects are named by random keys (32 hex digits), never by anything the client sent. The
filesystem backend stores ``<data_dir>/files/<k[:2]>/<key>``; uploads are staged in
``<data_dir>/files/.staging`` (same filesystem, so moving a file into place is atomic).
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

import msgspec

from eservice.core.config import Settings
from eservice.core.errors import ServiceUnavailable

CHUNK_SIZE = 64 * 1024
_KEY_RE = re.compile(r"^[0-9a-f]{32}$")


class StorageError(Exception):
    """The storage backend failed (unreachable, refused, inconsistent)."""


class MissingObject(StorageError):
    """No object is stored under the key."""


def storage_unavailable() -> ServiceUnavailable:
    """The problem a caller sees when the file store fails (details go to the log)."""
    return ServiceUnavailable(
        "The file store is not available right now; please try again later.",
        headers={"Retry-After": "30"},
    )


class StoredObject(msgspec.Struct, frozen=True):
    """An object as listed by a backend, for the leftover cleanup."""

    key: str
    modified_at: datetime


class Storage(Protocol):
    """What the attachments service needs from a storage backend."""

    async def save(self, key: str, source: Path, *, size: int, sha256: str) -> None:
        """Store the staged file ``source`` under ``key`` (``source`` may be moved away)."""

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; raises MissingObject before the first chunk."""

    async def delete(self, key: str) -> None:
        """Remove the object; nothing happens when it is already gone."""

    def list_objects(self) -> AsyncIterator[StoredObject]:
        """Every stored object (for the leftover cleanup)."""


def new_key() -> str:
    """A fresh random object key."""
    return uuid.uuid4().hex


def check_key(key: str) -> str:
    """``key`` if it is one of ours, else ValueError (keys never come from clients)."""
    if not _KEY_RE.match(key):
        raise ValueError("not a storage key")
    return key


def staging_dir(settings: Settings) -> Path:
    """Where uploads are written while they arrive."""
    return settings.data_path / "files" / ".staging"


class FilesystemStorage:
    """Files under ``root`` (``<data_dir>/files``), fanned out by the key's first two digits."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key

    async def save(self, key: str, source: Path, *, size: int, sha256: str) -> None:
        await asyncio.to_thread(self._save, self.path_for(key), source, size)

    @staticmethod
    def _save(target: Path, source: Path, size: int) -> None:
        if source.stat().st_size != size:
            raise StorageError("staged file does not have the received size")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        _fsync_dir(target.parent)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self.path_for(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise MissingObject(key) from None
        return _read_chunks(handle)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_for(key).unlink, missing_ok=True)

    async def list_objects(self) -> AsyncIterator[StoredObject]:
        entries = await asyncio.to_thread(self._scan)
        for entry in entries:
            yield entry

    def _scan(self) -> list[StoredObject]:
        found: list[StoredObject] = []
        if not self.root.is_dir():
            return found
        for bucket in self.root.iterdir():
            if len(bucket.name) != 2 or not bucket.is_dir():
                continue
            for path in bucket.iterdir():
                if _KEY_RE.match(path.name) and path.name.startswith(bucket.name):
                    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                    found.append(StoredObject(key=path.name, modified_at=modified))
        return found


async def _read_chunks(handle: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
            yield chunk
    finally:
        handle.close()


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: fsync the directory that holds the new name."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def storage_from_settings(settings: Settings) -> Storage:
    """The backend chosen by ``ESERVICE_STORAGE`` (``filesystem`` or ``s3``)."""
    if settings.storage == "s3":
        from eservice.attachments.s3 import S3Storage

        return S3Storage.from_settings(settings)
    return FilesystemStorage(settings.data_path / "files")
