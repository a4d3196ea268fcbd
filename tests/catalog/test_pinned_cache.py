"""Pinned service versions are read once per caching sessionmaker (the API's, the worker's)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from eservice.catalog.service import get_published_service
from eservice.core.db import create_sessionmaker


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_caching_sessionmaker_reads_a_pinned_version_once(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine, cache_immutable=True)
    async with sessions() as session:
        first = await get_published_service(session, "hundeanmeldung", 1)
    with counted(engine) as statements:
        async with sessions() as session:
            again = await get_published_service(session, "hundeanmeldung", 1)
    assert again is first
    assert statements == []


async def test_the_current_version_and_plain_sessions_are_always_looked_up(
    engine: AsyncEngine,
) -> None:
    caching = create_sessionmaker(engine, cache_immutable=True)
    async with caching() as session:
        await get_published_service(session, "hundeanmeldung")
    with counted(engine) as statements:
        async with caching() as session:
            await get_published_service(session, "hundeanmeldung")
    assert statements, "the current version may change: it is never taken from the cache"
    plain = create_sessionmaker(engine)
    with counted(engine) as statements:
        for _ in range(2):
            async with plain() as session:
                await get_published_service(session, "hundeanmeldung", 1)
    assert len(statements) >= 2
