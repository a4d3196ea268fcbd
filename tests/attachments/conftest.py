"""Fixtures of the attachments tests: sample files, requests in given states, upload helpers."""

from __future__ import annotations

import hashlib
import shutil
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.catalog.service import get_published_service
from eservice.core.config import Settings
from eservice.core.transaction import transaction
from eservice.requests import service as requests_service
from eservice.requests.repository import get_request
from eservice.requests.schemas import FilingIn, TransitionIn
from eservice.requests.transitions import fire_transition
from tests.attachments.s3_server import S3Server, running_s3
from tests.support.auth import Caller

Client = AsyncTestClient[Litestar]


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """The start of a JFIF JPEG (enough for its signature) and an end marker."""
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + bytes(range(256)) * 4
        + b"\xff\xd9"
    )


def pdf_bytes(size: int = 2000) -> bytes:
    """A PDF of about ``size`` bytes (binary content included, to catch any re-encoding)."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    tail = b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    filler = bytes(i % 256 for i in range(max(0, size - len(head) - len(tail))))
    return head + filler + tail


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _empty_storage(settings: Settings) -> None:
    """Each test starts without stored files (the data directory lives for the session)."""
    shutil.rmtree(settings.data_path / "files", ignore_errors=True)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-compatible server (moto) for the session; tests each take a fresh bucket."""
    with running_s3() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A fresh, empty bucket on the session's S3 server."""
    return s3_server.new_bucket()


BACKENDS = ["filesystem", "s3"]


@pytest.fixture
async def client(
    request: pytest.FixtureRequest,
    client: Client,
    client_with: Callable[..., Client],
) -> AsyncIterator[Client]:
    """The API client, on filesystem storage unless the test says otherwise.

    ``@pytest.mark.parametrize("client", BACKENDS, indirect=True)`` runs a test on each backend.
    """
    if getattr(request, "param", "filesystem") == "filesystem":
        yield client
        return
    s3_server: S3Server = request.getfixturevalue("s3_server")
    async with client_with(**s3_server.settings(s3_server.new_bucket())) as s3_client:
        yield s3_client


PARKING = "bewohnerparkausweis"
PARKING_DATA: dict[str, Any] = {
    "vorname": "Anna",
    "nachname": "Schröder",
    "strasse": "Engelsgrube",
    "hausnummer": "12",
    "plz": "23552",
    "ort": "Lübeck",
    "parkzone": "A1",
    "kennzeichen": "HL-AS 1234",
    "haltereigenschaft": "halter",
    "gueltig_ab": "2026-01-01",
    "laufzeit_monate": 12,
}

FileDraft = Callable[..., Awaitable[UUID]]
Advance = Callable[..., Awaitable[None]]


@pytest.fixture
def file_draft(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> FileDraft:
    """File a parking-permit draft (not submitted) for ``caller``; returns its id."""

    async def file(
        caller: Caller, service: str = PARKING, data: dict[str, Any] | None = None
    ) -> UUID:
        async with transaction(sessionmaker) as session:
            published = await get_published_service(session, service)
            example = data if data is not None else _example(published.definition.form, service)
            row = await requests_service.file_request(
                session,
                settings,
                caller.principal,
                FilingIn(service=service, data=example, submit=False),
            )
            return row.id

    return file


def _example(form: dict[str, Any], service: str) -> dict[str, Any]:
    if service == PARKING:
        return dict(PARKING_DATA)
    examples = form.get("examples") or [{}]
    first: dict[str, Any] = examples[0]
    return first


@pytest.fixture
def advance(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> Advance:
    """Fire ``transition`` as ``caller`` (setup of states; the API is tested elsewhere)."""

    async def fire(
        caller: Caller, request_id: UUID, transition: str, comment: str | None = None
    ) -> None:
        async with transaction(sessionmaker) as session:
            row = await get_request(session, request_id)
            assert row is not None
            await fire_transition(
                session,
                settings,
                caller.principal,
                row,
                if_match=row.version,
                payload=TransitionIn(transition=transition, comment=comment),
            )

    return fire


Upload = Callable[..., Awaitable[Any]]


@pytest.fixture
def upload(client: Client) -> Upload:
    """POST one file as multipart; returns the response."""

    async def post(
        caller: Caller,
        request_id: UUID,
        content: bytes,
        *,
        filename: str = "fahrzeugschein.pdf",
        content_type: str = "application/pdf",
        kind: str | None = "fahrzeugschein",
        visibility: str | None = None,
        extra: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        via: Client | None = None,
    ) -> Any:
        data: dict[str, str] = {}
        if kind is not None:
            data["kind"] = kind
        if visibility is not None:
            data["visibility"] = visibility
        data.update(extra or {})
        return await (via or client).post(
            f"/api/v1/requests/{request_id}/attachments",
            data=data,
            files={"file": (filename, content, content_type)},
            headers={**caller.headers, **(headers or {})},
        )

    return post


def stored_files(settings: Settings) -> list[Path]:
    """Every file under the storage root (staging included)."""
    root = settings.data_path / "files"
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())
