"""Creating, emptying and dropping test databases on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Collection
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from eservice.core.embedded import start_embedded_postgres

TEST_DATABASE_ENV = "ESERVICE_TEST_DATABASE_URL"

# Tables filled once per session (the catalogue) survive the per-test cleanup.
PRESERVED: set[str] = {
    "alembic_version",
    "departments",
    "workflow_versions",
    "services",
    "service_versions",
}


def preserved_tables() -> set[str]:
    return PRESERVED


def plain(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def server_admin_url(embedded_dir: Path) -> str:
    """A URL to the maintenance database of the server the tests use."""
    configured = os.environ.get(TEST_DATABASE_ENV)
    if configured:
        return plain(configured)
    return start_embedded_postgres(embedded_dir, database="postgres")


def url_for_database(admin_url: str, name: str) -> str:
    parts = urlsplit(plain(admin_url))
    return urlunsplit(parts._replace(path="/" + name))


def _run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def create_database(admin_url: str, name: str) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(plain(admin_url))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    _run(go())


def drop_database(admin_url: str, name: str) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(plain(admin_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    _run(go())


TRUNCATE_ATTEMPTS = 5


async def truncate_tables(url: str, keep: Collection[str]) -> None:
    """Empty every table but ``keep``. A live server's worker (browser tests) may still be
    working on the last test's rows and lock tables in another order than TRUNCATE's list:
    when PostgreSQL picks the TRUNCATE as a deadlock's victim, it is simply tried again."""
    conn = await asyncpg.connect(plain(url))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        names = [r["tablename"] for r in rows if r["tablename"] not in keep]
        if not names:
            return
        quoted = ", ".join(f'"{n}"' for n in names)
        for attempt in range(1, TRUNCATE_ATTEMPTS + 1):
            try:
                await conn.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
                return
            except asyncpg.DeadlockDetectedError:
                if attempt == TRUNCATE_ATTEMPTS:
                    raise
                await asyncio.sleep(0.1 * attempt)
    finally:
        await conn.close()
