"""A ZIP archive written as a stream: documents and stored files, chunk by chunk.

``zipfile`` writes to a sink that only collects bytes; after every piece the collected bytes
are handed on, so the archive is never held in memory (entries use data descriptors, the
sink cannot seek). Files are copied from storage chunk by chunk and stored uncompressed (PDFs
and images are compressed already); JSON documents are deflated.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import msgspec

from eservice.attachments.storage import MissingObject, Storage

# Collected bytes are handed on once they reach this size (and after every entry).
HAND_ON = 256 * 1024


class Document(msgspec.Struct, frozen=True):
    """A small entry built in memory (JSON, the README)."""

    name: str
    content: bytes


class StoredFile(msgspec.Struct, frozen=True):
    """An entry copied from storage."""

    name: str
    storage_key: str
    size: int
    modified_at: datetime


class _Sink(io.RawIOBase):
    """Collects what zipfile writes; cannot seek, so zipfile streams."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self._pending = 0
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        chunk = bytes(data)  # type: ignore[call-overload]
        self._parts.append(chunk)
        self._pending += len(chunk)
        self._written += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._written

    @property
    def pending(self) -> int:
        return self._pending

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self._pending = 0
        return data


def _info(name: str, when: datetime, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = compress
    return info


async def zip_stream(
    documents: Sequence[Document], files: Sequence[StoredFile], storage: Storage, now: datetime
) -> AsyncIterator[bytes]:
    """The archive's bytes, in pieces of about ``HAND_ON`` bytes."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w") as archive:
        for document in documents:
            archive.writestr(_info(document.name, now, zipfile.ZIP_DEFLATED), document.content)
            if sink.pending:
                yield sink.take()
        for stored in files:
            try:
                chunks = await storage.open(stored.storage_key)
            except MissingObject:
                continue  # removed meanwhile (retention); the manifest still lists it
            info = _info(stored.name, stored.modified_at, zipfile.ZIP_STORED)
            info.file_size = stored.size
            with archive.open(info, "w", force_zip64=stored.size > zipfile.ZIP64_LIMIT) as entry:
                async for chunk in chunks:
                    entry.write(chunk)
                    if sink.pending >= HAND_ON:
                        yield sink.take()
            yield sink.take()
    yield sink.take()
