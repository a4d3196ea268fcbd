"""Receiving a ``multipart/form-data`` upload as a stream, without buffering the body.

The body is fed chunk by chunk into python-multipart's streaming parser. The file part goes
to a staging file while its sha256 is computed; every limit (body size, number of parts,
file size, field length) is enforced as soon as it is passed, so an oversized upload is
refused after at most one chunk beyond its limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO

import msgspec
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from eservice.attachments.sniffing import SNIFF_BYTES
from eservice.core.errors import (
    BadRequest,
    FieldError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from eservice.core.pointers import json_pointer

FILE_FIELD = "file"
TEXT_FIELDS = frozenset({"kind", "visibility"})
MAX_FIELD_BYTES = 256
MULTIPART_OVERHEAD = 64 * 1024


class UploadLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Bounds of one upload: whole body, parts, and file bytes per document kind."""

    max_body_bytes: int
    max_parts: int
    max_file_bytes: int
    kind_max_bytes: dict[str, int] = {}

    def file_limit(self, kind: str | None) -> int:
        per_kind = self.kind_max_bytes.get(kind or "")
        return self.max_file_bytes if per_kind is None else min(per_kind, self.max_file_bytes)


class ReceivedFile(msgspec.Struct, kw_only=True):
    """The staged file part: where it is, its size, sha256 and what the client claimed."""

    path: Path
    size: int
    sha256: str
    head: bytes
    filename: str | None
    declared_type: str | None


class ReceivedUpload(msgspec.Struct, kw_only=True):
    fields: dict[str, str]
    file: ReceivedFile | None


def boundary_of(content_type: str | None) -> bytes:
    """The multipart boundary of a ``Content-Type`` header, or 415 if it is not multipart."""
    mime, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary", b"")
    if mime != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType("Send the file as multipart/form-data with a boundary.")
    return boundary


def _too_large(limit: int, what: str) -> PayloadTooLarge:
    # Closing the connection stops the server from reading (and discarding) the rest.
    return PayloadTooLarge(
        f"The {what} is larger than {limit} bytes.",
        extra={"limit": limit},
        headers={"Connection": "close"},
    )


class _PartReader:
    """The parser's callbacks; file bytes are queued here and written by ``receive_upload``."""

    def __init__(self, limits: UploadLimits, staging: Path) -> None:
        self.limits = limits
        self.staging = staging
        self.parts = 0
        self.ended = False
        self.fields: dict[str, str] = {}
        self.file: ReceivedFile | None = None
        self.handle: BinaryIO | None = None
        self.pending: list[bytes] = []
        self.problem: BadRequest | None = None
        self._headers: dict[str, str] = {}
        self._field = b""
        self._value = b""
        self._name: str | None = None
        self._in_file = False
        self._digest = hashlib.sha256()
        self._file_limit = 0

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
            "on_end": self.end,
        }

    def part_begin(self) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise BadRequest(
                f"Too many parts in the multipart body (at most {self.limits.max_parts})."
            )
        self._headers, self._field, self._value, self._name = {}, b"", b"", None

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self._headers[self._field.decode("latin-1").lower()] = self._value.decode("latin-1")
        self._field, self._value = b"", b""

    def headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get("content-disposition"))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if disposition != b"form-data" or not name:
            raise BadRequest("Every part needs Content-Disposition: form-data with a name.")
        self._name = name
        if name == FILE_FIELD:
            self._start_file(options.get(b"filename"))
        elif name not in TEXT_FIELDS:
            raise ValidationFailed(
                f"Unknown form field {name!r}.",
                errors=[FieldError(pointer=json_pointer([name]), message="unknown field")],
            )
        elif name in self.fields:
            self._refuse(BadRequest(f"The form field {name!r} appears more than once."))

    def _refuse(self, error: BadRequest) -> None:
        """Remember a problem for the end of the body, so that a part limit is seen first."""
        if self.problem is None:
            self.problem = error

    def _start_file(self, raw_name: bytes | None) -> None:
        if self.file is not None:
            self._refuse(BadRequest("Send one file per upload."))
            self._name = None
            return
        fd, path = tempfile.mkstemp(dir=self.staging, prefix="upload-")
        self.handle = os.fdopen(fd, "wb")
        # Names arrive as raw UTF-8 bytes in practice (RFC 7578 §4.2).
        filename = raw_name.decode("utf-8", "replace") if raw_name is not None else None
        self.file = ReceivedFile(
            path=Path(path),
            size=0,
            sha256="",
            head=b"",
            filename=filename,
            declared_type=self._headers.get("content-type"),
        )
        self._in_file = True
        self._file_limit = self.limits.file_limit(self.fields.get("kind"))

    def part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._in_file and self.file is not None:
            self.file.size += len(chunk)
            if self.file.size > self._file_limit:
                raise _too_large(self._file_limit, "file")
            self._digest.update(chunk)
            if len(self.file.head) < SNIFF_BYTES:
                self.file.head += chunk[: SNIFF_BYTES - len(self.file.head)]
            self.pending.append(chunk)
            return
        if self._name is None:
            return
        self._value += chunk
        if len(self._value) > MAX_FIELD_BYTES:
            raise ValidationFailed(
                f"The form field {self._name!r} is too long.",
                errors=[FieldError(pointer=json_pointer([self._name]), message="too long")],
            )

    def part_end(self) -> None:
        if self._in_file and self.file is not None:
            self.file.sha256 = self._digest.hexdigest()
            self._in_file = False
        elif self._name is not None:
            self.fields[self._name] = self._value.decode("utf-8", "replace").strip()
            self._value = b""

    def end(self) -> None:
        self.ended = True


async def receive_upload(
    chunks: AsyncIterator[bytes],
    *,
    content_type: str | None,
    content_length: int | None,
    limits: UploadLimits,
    staging: Path,
) -> ReceivedUpload:
    """Parse the body into its text fields and one staged file; clean up on any failure."""
    boundary = boundary_of(content_type)
    if content_length is not None and content_length > limits.max_body_bytes:
        raise _too_large(limits.max_body_bytes, "request body")
    await asyncio.to_thread(staging.mkdir, parents=True, exist_ok=True)
    reader = _PartReader(limits, staging)
    parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > limits.max_body_bytes:
                raise _too_large(limits.max_body_bytes, "request body")
            try:
                parser.write(chunk)
            except FormParserError as exc:
                raise BadRequest(f"The multipart body is malformed: {exc}") from None
            await _flush(reader)
            if reader.ended:
                break
        if not reader.ended:
            raise BadRequest("The multipart body ended before its closing boundary.")
        if reader.problem is not None:
            raise reader.problem
        if reader.handle is not None:
            await asyncio.to_thread(_close_durably, reader.handle)
    except BaseException:
        if reader.handle is not None:
            reader.handle.close()
        if reader.file is not None:
            await asyncio.to_thread(reader.file.path.unlink, missing_ok=True)
        raise
    return ReceivedUpload(fields=reader.fields, file=reader.file)


async def _flush(reader: _PartReader) -> None:
    if reader.pending and reader.handle is not None:
        data, reader.pending = b"".join(reader.pending), []
        await asyncio.to_thread(reader.handle.write, data)


def _close_durably(handle: BinaryIO) -> None:
    with contextlib.closing(handle):
        handle.flush()
        os.fsync(handle.fileno())
