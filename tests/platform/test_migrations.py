"""The schema is built by migrations, and they run down to base and back up cleanly."""

from __future__ import annotations

import secrets

import asyncpg

from eservice.core import migrate
from tests.support.database import create_database, drop_database, plain, url_for_database


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(plain(url))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


async def test_migrations_go_up_down_to_base_and_up_again(admin_url: str) -> None:
    import asyncio

    name = "eservice_migrations_" + secrets.token_hex(4)
    await asyncio.to_thread(create_database, admin_url, name)
    url = url_for_database(admin_url, name)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        after_up = await _tables(url)
        assert "outbox" in after_up
        assert "alembic_version" in after_up
        await asyncio.to_thread(migrate.downgrade, url, "base")
        assert await _tables(url) <= {"alembic_version"}
        await asyncio.to_thread(migrate.upgrade, url)
        assert await _tables(url) == after_up
    finally:
        await asyncio.to_thread(drop_database, admin_url, name)
