"""Uploads are read as a stream: limits bite while the body arrives, no connection is held."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from litestar import Litestar
from litestar.types import Message

from eservice.app import create_app
from tests.attachments.conftest import FileDraft, pdf_bytes
from tests.conftest import make_settings
from tests.support.auth import Caller
from tests.support.live_server import serve_in_thread

CHUNK = 64 * 1024
BOUNDARY = "eservice-test-boundary"
END = f"\r\n--{BOUNDARY}--\r\n".encode()


def _preamble() -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="kind"\r\n\r\nfahrzeugschein\r\n'
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="gross.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()


async def _post_chunked(
    app: Litestar,
    caller: Caller,
    request_id: UUID,
    chunks: list[bytes],
    on_chunk: Callable[[int], Awaitable[None]] | None = None,
) -> tuple[int, list[tuple[bytes, bytes]], int]:
    """POST ``chunks`` straight into the ASGI app (no Content-Length), one chunk per receive.

    Returns the status, the response headers and how many chunks the app asked for.
    """
    asked = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal asked
        if on_chunk is not None:
            await on_chunk(asked)
        asked += 1
        if asked > len(chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[asked - 1], "more_body": asked < len(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    path = f"/api/v1/requests/{request_id}/attachments"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            *[(k.lower().encode(), v.encode()) for k, v in caller.headers.items()],
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    async with app.lifespan():  # the database engine, on this event loop
        await app(scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], list(start["headers"]), asked


async def test_oversized_upload_is_413_long_before_the_whole_body_is_received(
    database_url: str, session_tmp: Path, citizen: Caller, file_draft: FileDraft
) -> None:
    request_id = await file_draft(citizen)
    app = create_app(make_settings(session_tmp, max_upload_bytes=1_000_000), database_url)
    offered = [_preamble(), pdf_bytes(CHUNK), *([b"\x00" * CHUNK] * 800), END]  # 50 MiB

    status, headers, asked = await _post_chunked(app, citizen, request_id, offered)

    assert status == 413
    assert (b"connection", b"close") in headers
    assert asked * CHUNK < 2_000_000
    assert asked < len(offered) // 10


async def test_a_slow_upload_holds_no_database_transaction_while_it_streams(
    database_url: str,
    session_tmp: Path,
    citizen: Caller,
    file_draft: FileDraft,
    raw_connection: asyncpg.Connection,
) -> None:
    request_id = await file_draft(citizen)
    app = create_app(make_settings(session_tmp), database_url)
    content = pdf_bytes(8 * CHUNK)
    chunks = [_preamble(), *[content[i : i + CHUNK] for i in range(0, len(content), CHUNK)], END]
    open_transactions: list[int] = []

    async def look(index: int) -> None:
        if index == 4:
            open_transactions.append(
                await raw_connection.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            )

    status, _, _ = await _post_chunked(app, citizen, request_id, chunks, on_chunk=look)

    assert status == 201
    assert open_transactions == [0]


async def test_declared_content_length_over_the_limit_is_413_over_a_real_connection(
    database_url: str, session_tmp: Path, citizen: Caller, file_draft: FileDraft
) -> None:
    request_id = await file_draft(citizen)
    app = create_app(make_settings(session_tmp, max_upload_bytes=100_000), database_url)
    content = _preamble() + pdf_bytes(400_000) + END
    with serve_in_thread(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            response = await http.post(
                f"/api/v1/requests/{request_id}/attachments",
                content=content,
                headers={
                    **citizen.headers,
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                },
            )
    assert response.status_code == 413
    assert response.json()["limit"] == 100_000 + 64 * 1024
