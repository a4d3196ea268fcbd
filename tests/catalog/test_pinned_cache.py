"""Pinned service versions are read once per caching sessionmaker (the API's, the worker's)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from eservice.catalog.service import get_published_service
from eservice.core.db import create_sessionmaker
from eservice.core.errors import NotFound


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


async def test_the_current_version_is_read_every_time_even_when_caching(
    engine: AsyncEngine,
) -> None:
    caching = create_sessionmaker(engine, cache_immutable=True)
    async with caching() as session:
        assert (await get_published_service(session, "hundeanmeldung")).version == 1
    async with caching() as session:
        # Another version becomes current (rolled back): the next lookup follows it at once.
        await session.execute(
            text("UPDATE services SET current_version = 99 WHERE code = 'hundeanmeldung'")
        )
        with pytest.raises(NotFound, match="no version 99 of service"):
            await get_published_service(session, "hundeanmeldung")
        with pytest.raises(NotFound, match="no service 'no-such-service'"):
            await get_published_service(session, "no-such-service")
        await session.rollback()


async def test_plain_sessions_always_look_pinned_versions_up(engine: AsyncEngine) -> None:
    plain = create_sessionmaker(engine)
    with counted(engine) as statements:
        for _ in range(2):
            async with plain() as session:
                await get_published_service(session, "hundeanmeldung", 1)
    assert len(statements) >= 2
