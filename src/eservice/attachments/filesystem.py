"""The filesystem storage backend: ``<data_dir>/files/<k[:2]>/<key>``.

Uploads are staged in ``<data_dir>/files/.staging`` (same filesystem), so moving a file into
place is an atomic rename.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from eservice.attachments.storage import (
    CHUNK_SIZE,
    KEY_RE,
    MissingObject,
    StorageError,
    StoredObject,
    check_key,
)


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
                if KEY_RE.match(path.name) and path.name.startswith(bucket.name):
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
