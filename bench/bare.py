"""The bare stack: what Litestar, uvicorn and asyncpg reach on their own on the minimal SQL.

A handler per operation with no authentication, no request scope and no middleware: parse,
one round trip through an asyncpg pool, encode with msgspec. ``make bench`` serves it exactly
as it serves the API (uvicorn, uvloop, httptools, the same number of processes) and drives it
with the same wrk scripts, so the distance between the API and the stack's own ceiling shows.
Only reading and filing are measured (the issue's two figures).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Litestar, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

_SQL = Path(__file__).resolve().parent / "sql" / "minimal"


def _statement(name: str) -> str:
    """The single statement of a minimal-SQL script, with pgbench's variables as parameters."""
    lines = [
        line
        for line in (_SQL / f"{name}.sql").read_text().splitlines()
        if line and not line.startswith(("--", "\\"))
    ]
    return " ".join(lines).rstrip(";")


READ = _statement("read").replace("md5('rd' || :n)::uuid", "$1")
FILE = _statement("file").replace(":citizen", "$1::uuid")


async def _jsonb(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb",
        encoder=lambda v: msgspec.json.encode(v).decode(),
        decoder=msgspec.json.decode,
        schema="pg_catalog",
    )


@asynccontextmanager
async def _pool(app: Litestar) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_BARE_DSN"], min_size=2, max_size=20, init=_jsonb
    )
    app.state.citizen = UUID(os.environ["BENCH_BARE_CITIZEN"])
    try:
        yield
    finally:
        await app.state.pool.close()


@get("/api/v1/requests/{request_id:uuid}")
async def read_request(state: State, request_id: UUID) -> dict[str, Any]:
    record = await state.pool.fetchrow(READ, request_id)
    if record is None:
        raise NotFoundException()
    return dict(record)


@post("/api/v1/requests")
async def file_request(state: State, data: dict[str, Any]) -> dict[str, str]:
    await state.pool.execute(FILE, state.citizen)
    return {"service": str(data.get("service"))}


app = Litestar([read_request, file_request], lifespan=[_pool], debug=False)
