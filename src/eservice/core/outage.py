"""A database that cannot be reached is an operating condition, not a bug.

While PostgreSQL is down or restarting, what needs it answers 503 problem+json with
``Retry-After``; the process logs one warning when the outage begins and one line when the
database is back, not a stack per request; and it recovers by itself: connections the server
closed are dropped from the pool before anyone uses them, and new ones are made as soon as
the server accepts them again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError, MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncEngine

from eservice.core.errors import ServiceUnavailable

log = logging.getLogger("eservice.database")

RETRY_AFTER_SECONDS = 5
# SQLSTATE class 08 (connection exception), and the server shutting down (57P01), crashing
# (57P02) or still starting (57P03).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


class DatabaseUnreachable(Exception):
    """No connection to the database could be made; raised in place of the driver's error."""


class _Outage:
    """Whether this process currently finds the database unreachable, and since when."""

    def __init__(self) -> None:
        self.since: float | None = None

    def begin(self, cause: BaseException) -> None:
        if self.since is not None:
            return
        self.since = time.monotonic()
        log.warning(
            "database unavailable: answering 503 until it is reachable again",
            extra={"reason": _reason(cause)},
        )

    def end(self) -> None:
        if self.since is None:
            return
        seconds = round(time.monotonic() - self.since, 1)
        self.since = None
        log.info("database reachable again", extra={"unavailable_seconds": seconds})


OUTAGE = _Outage()


def _reason(error: BaseException) -> str:
    # Connection errors name hosts and states, never a statement's parameters.
    cause = error.__cause__ if isinstance(error, DatabaseUnreachable) else error
    return f"{type(cause).__name__}: {cause}" if cause is not None else str(error)


def watch(engine: AsyncEngine) -> None:
    """Report failed connects as :class:`DatabaseUnreachable`, drop pooled connections the
    server has closed, and end an outage at the first connection made again."""
    sync = engine.sync_engine
    event.listen(sync, "do_connect", _connect_or_report)
    event.listen(sync.pool, "checkout", _refuse_closed)
    event.listen(sync.pool, "connect", _connected)


def _connect_or_report(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    try:
        return dialect.connect(*cargs, **cparams)
    except MissingGreenlet:
        raise  # not a failed connect: asked outside the bridge, it is repeated through it
    except Exception as exc:
        raise DatabaseUnreachable(f"cannot connect to the database: {exc}") from exc


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    # asyncpg marks a connection closed as soon as the server hangs up; no round trip needed.
    # The pool replaces a refused connection with a new one (or reports why it cannot).
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def _connected(_dbapi_connection: Any, _record: Any) -> None:
    OUTAGE.end()


def unavailable_cause(exc: BaseException) -> BaseException | None:
    """The error within ``exc`` saying that the database cannot be reached, or None.

    Looks through wrapped causes and exception groups (Litestar resolves dependencies in a
    task group).
    """
    pending = [exc]
    seen: set[int] = set()
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if _says_unreachable(error):
            return error
        if isinstance(error, BaseExceptionGroup):
            pending.extend(error.exceptions)
        for linked in (getattr(error, "orig", None), error.__cause__, error.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return None


def _says_unreachable(error: BaseException) -> bool:
    if isinstance(error, DatabaseUnreachable):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
        return True
    # A statement on a connection the server has just closed (SQLAlchemy's own test for it).
    if isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error):
        return True
    # asyncpg's protocol left mid-statement when the server died under it ("cannot switch to
    # state ...; another operation is in progress"), seen when the worker's statement was cut.
    return isinstance(error, asyncpg.InternalClientError)


def note_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached; the first such error of an
    outage is logged (as one warning line)."""
    cause = unavailable_cause(exc)
    if cause is None:
        return False
    OUTAGE.begin(cause)
    return True


def unavailable_problem(exc: BaseException) -> ServiceUnavailable | None:
    """The 503 to answer when ``exc`` says the database cannot be reached, else None."""
    if not note_unavailable(exc):
        return None
    return ServiceUnavailable(
        "The database is not reachable at the moment; please try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
