"""Dependencies shared by every context: settings and the request-scoped transaction."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.core.db import finish


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One session and one transaction per request: commit on success, roll back on error.

    Services never commit; this scope does, before the response is sent, so a failed commit
    turns into an error response rather than a false success.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = state.sessionmaker
    session = sessionmaker()
    committed = False
    try:
        yield session
        await finish(session, commit=True)
        committed = True
    finally:
        if not committed:
            await finish(session, commit=False)
