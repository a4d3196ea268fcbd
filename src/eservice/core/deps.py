"""What every context's routes get from the app: its settings and the request's transaction.

``db_session`` is the app's one dependency: each handler resolves at most one dependency per
level, because Litestar resolves the dependencies of one level concurrently, in an anyio task
group (a cost per request measured in bench/README.md). Settings are app state, read with
``app_settings``; the caller is resolved before the handler by ``identity.authentication``.
The session is cheap to provide unused: it begins a transaction only on its first statement.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.core.transaction import RequestSessions

AnyRequest = Request[Any, Any, Any]


def app_settings(connection: ASGIConnection[Any, Any, Any, Any]) -> Settings:
    """The settings the app was built with (``create_app`` keeps them in the app's state)."""
    settings: Settings = connection.app.state.settings
    return settings


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
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
