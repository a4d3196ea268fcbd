"""Dependencies shared by every context: settings and the request-scoped transaction.

The app's dependencies form one chain, settings -> db_session -> principal, although the
session needs no settings and authentication no session: Litestar resolves the dependencies of
one level concurrently, in an anyio task group (a cost per request measured in
bench/README.md), and a chain has one dependency per level. The session is cheap to provide
unused: it begins a transaction only on its first statement.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.core.transaction import RequestSessions


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


async def provide_db_session(
    state: State,
    settings: NamedDependency[Settings],  # orders the chain (module docstring)
) -> AsyncGenerator[AsyncSession, None]:
    """One session and one transaction per request: commit on success, roll back on error.

    Services never commit; this scope does, before the response is sent, so a failed commit
    turns into an error response rather than a false success.
    """
    sessions: RequestSessions = state.request_sessions
    session = sessions.open()
    committed = False
    try:
        yield session
        await sessions.finish(session, commit=True)
        committed = True
    finally:
        if not committed:
            await sessions.finish(session, commit=False)
