"""Async engine and sessions. One transaction per HTTP request or worker job."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import msgspec
from sqlalchemy import ClauseElement, Connection, Engine, MetaData, PoolProxiedConnection
from sqlalchemy.exc import MissingGreenlet, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

from eservice.core.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table; the schema itself is built by Alembic migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DatabaseUrlError(ValueError):
    """ESERVICE_DATABASE_URL is not a PostgreSQL URL."""


def normalise_database_url(url: str) -> str:
    """Accept ``postgresql://``, ``postgres://`` and ``postgresql+asyncpg://``; return asyncpg's."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise DatabaseUrlError("ESERVICE_DATABASE_URL must look like postgresql://user@host/db")
    if scheme in {"postgresql", "postgres", "postgresql+asyncpg"}:
        normalised = "postgresql+asyncpg://" + rest
    else:
        raise DatabaseUrlError(
            f"ESERVICE_DATABASE_URL has scheme {scheme!r}; use postgresql:// (PostgreSQL 15+)"
        )
    parts = urlsplit(normalised)
    if not parts.path.strip("/"):
        raise DatabaseUrlError("ESERVICE_DATABASE_URL must name a database (…/eservice)")
    return normalised


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def json_text(value: Any) -> str:
    """A JSON(B) parameter as JSON text: what the engine sends, and what the driver-level
    statements of the hot paths pass to asyncpg."""
    return msgspec.json.encode(value).decode()


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    """An asyncpg engine with a bounded pool and a statement timeout."""
    return create_async_engine(
        normalise_database_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No ping on checkout: request sessions take an idle connection without I/O
        # (_idle_connection); a dead one is found by its first statement and dropped.
        pool_pre_ping=False,
        pool_recycle=1800,
        # Statement parameters carry personal data; keep them out of errors and logs.
        hide_parameters=True,
        # JSONB in and out through msgspec (the standard library's json was ~2 % of a
        # transition's CPU, decoding each request row's form data).
        json_serializer=json_text,
        json_deserializer=msgspec.json.decode,
        connect_args={
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "application_name": "eservice",
            },
            "timeout": 10,
        },
    )


IMMUTABLE_CACHE = "immutable_cache"
_DRIVER = "eservice.driver_connection"


def create_sessionmaker(
    engine: AsyncEngine, *, cache_immutable: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; with ``cache_immutable`` they share one cache of immutable rows.

    The API and the worker opt in: published catalogue versions never change once committed,
    so one lookup per process and version is enough (see :func:`immutable_cache`). One-off
    sessions (CLI commands, tests that publish in rolled-back transactions) do not.
    """
    info: dict[str, Any] = {IMMUTABLE_CACHE: {}} if cache_immutable else {}
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        autoflush=False,
        info=info,
        sync_session_class=_Session,
    )


def immutable_cache(session: AsyncSession) -> dict[Hashable, Any] | None:
    """The cache shared by every session of this session's sessionmaker, or None."""
    cache: dict[Hashable, Any] | None = session.info.get(IMMUTABLE_CACHE)
    return cache


_HELD = "eservice.held_connection"
_LEAN = "eservice.lean"
# What a finished request session may carry into its next request (anything else, e.g. the
# event listeners of attachments.consistency, means it is not used again).
_REUSABLE = frozenset({IMMUTABLE_CACHE, _LEAN})


@dataclass(slots=True)
class _Held:
    """A pooled connection a request session checked out itself (see :class:`RequestSessions`)."""

    engine: Engine
    pooled: PoolProxiedConnection
    adapted: Any  # SQLAlchemy's asyncpg adapter: it keeps the asyncpg Transaction
    driver: asyncpg.Connection
    connection: Connection | None = None  # made when the ORM first needs it

    def bound(self) -> Connection:
        if self.connection is None:
            self.connection = Connection(self.engine, connection=self.pooled)
        return self.connection


class _Session(Session):
    """A session that, while a request holds a connection, binds the ORM to that connection."""

    def get_bind(
        self,
        mapper: Any = None,
        *,
        clause: ClauseElement | None = None,
        bind: Any = None,
        _sa_skip_events: bool | None = None,
        _sa_skip_for_implicit_returning: bool = False,
        **kw: Any,
    ) -> Engine | Connection:
        held: _Held | None = self.info.get(_HELD)
        if held is not None:
            return held.bound()
        return super().get_bind(
            mapper,
            clause=clause,
            bind=bind,
            _sa_skip_events=_sa_skip_events,
            _sa_skip_for_implicit_returning=_sa_skip_for_implicit_returning,
            **kw,
        )


class RequestSessions:
    """Sessions for request scopes, each used again once :meth:`finish` has ended it.

    Until the ORM is used, a request session has no ORM transaction at all: the first
    :func:`driver_connection` checks a connection out of the engine's pool and begins the
    transaction through asyncpg; ORM statements later in the request are bound to that
    connection and join the transaction. A read then pays for one bridge into SQLAlchemy's
    greenlet world (the checkout) instead of an ORM transaction's begin, commit and close,
    and a finished session is kept for the next request instead of building a new one
    (together about a third of a read's CPU, bench/README.md).
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, keep: int = 64) -> None:
        self._sessionmaker = sessionmaker
        self._keep = keep
        self._free: list[AsyncSession] = []

    def open(self) -> AsyncSession:
        if self._free:
            return self._free.pop()
        session = self._sessionmaker()
        session.info[_LEAN] = True
        return session

    async def finish(self, session: AsyncSession, *, commit: bool) -> None:
        """:func:`finish` the session; keep it for another request if it ended cleanly."""
        await finish(session, commit=commit)
        if len(self._free) < self._keep and session.info.keys() <= _REUSABLE:
            self._free.append(session)


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``, inside the session's transaction.

    Hot-path repositories (reading, transitioning, filing a request) send their statements
    straight through asyncpg: SQLAlchemy's execution layer costs about 0.2 ms of CPU per
    statement on top of asyncpg's 0.04 ms (bench/README.md). In a request session (see
    :class:`RequestSessions`) the first call checks a connection out and begins the
    transaction through the driver; ORM statements later in the request join it. In any
    other session the ORM's transaction is used: SQLAlchemy begins lazily, so the BEGIN is
    issued here when no statement has run yet, and ending the session's transaction ends
    the driver's statements with it.

    The connection is remembered for the rest of the session's transaction: every async call
    into SQLAlchemy runs in a new greenlet (a fresh frame stack, mapped and unmapped each
    time), and a transition asks for the connection four times.
    """
    held: _Held | None = session.info.get(_HELD)
    if held is not None:
        # The ORM may have ended the transaction (a rollback after a conflict): begin anew,
        # as the ORM's own next statement would.
        if held.adapted._transaction is None:
            await held.adapted._start_transaction()
        return held.driver
    transaction = session.sync_session.get_transaction()
    if transaction is None and _LEAN in session.info:
        return await _hold(session)
    remembered = session.info.get(_DRIVER)
    if remembered is not None and transaction is not None and remembered[0] is transaction:
        known: asyncpg.Connection = remembered[1]
        return known
    connection = await session.connection()
    sync = connection.sync_connection
    assert sync is not None  # a session's connection is always started
    # The pooled connection is at hand once checked out; only an invalidated one needs I/O.
    fairy = sync.connection if not sync.invalidated else await connection.get_raw_connection()
    adapted: Any = fairy.dbapi_connection
    # SQLAlchemy's asyncpg adapter keeps its asyncpg Transaction here and starts it before
    # its first statement; starting it the same way keeps COMMIT/ROLLBACK with the session.
    if adapted._transaction is None:
        await adapted._start_transaction()
    driver: asyncpg.Connection = fairy.driver_connection
    session.info[_DRIVER] = (session.sync_session.get_transaction(), driver)
    return driver


async def _hold(session: AsyncSession) -> asyncpg.Connection:
    """Check out a connection for a request session and begin its transaction."""
    engine = session.sync_session.bind
    assert isinstance(engine, Engine)  # request sessions are bound to the engine
    pooled = _idle_connection(engine)
    if pooled is None:
        pooled = await greenlet_spawn(engine.raw_connection)
    adapted: Any = pooled.dbapi_connection
    driver: asyncpg.Connection = pooled.driver_connection
    held = _Held(engine, pooled, adapted, driver)
    try:
        if adapted._transaction is None:
            await adapted._start_transaction()
    except BaseException:
        await _release(held)
        raise
    session.info[_HELD] = held
    return driver


# When _idle_connection finds that the pool must open a connection, SQLAlchemy closes the
# connect coroutine it created, unawaited, before raising MissingGreenlet, and Python warns
# about it; nothing is left undone (the checkout is repeated through the bridge).
warnings.filterwarnings(
    "ignore",
    message="coroutine 'connect' was never awaited",
    category=RuntimeWarning,
    module=r"sqlalchemy\.util\.concurrency",
)


def _idle_connection(engine: Engine) -> PoolProxiedConnection | None:
    """An idle pooled connection, taken without entering the greenlet bridge; else None.

    SQLAlchemy hands out a connection waiting in its pool synchronously; only opening one
    (a new connection, one due for recycling, one invalidated) awaits, and outside the bridge
    that raises MissingGreenlet before the connection is handed out: the pool takes its entry
    back, and the caller checks out through the bridge as usual. The bridge was a seventh of a
    read's CPU (bench/README.md).
    """
    pool = engine.pool
    if not isinstance(pool, QueuePool) or pool.checkedin() == 0:
        return None
    try:
        return engine.raw_connection()
    except MissingGreenlet:
        return None


async def finish(session: AsyncSession, *, commit: bool) -> None:
    """Commit (or roll back) and close ``session``, without a round trip it does not need.

    A session that never began a transaction has nothing to commit, roll back or hand back
    to the pool; after a commit or rollback, closing needs no I/O either, so it is done
    without entering SQLAlchemy's greenlet bridge.
    A request session's held connection is committed through the driver when the ORM never
    joined, and handed back to the pool without a round trip; one whose transaction could
    not be ended, or whose server went away, is dropped from the pool instead.
    """
    held: _Held | None = session.info.pop(_HELD, None)
    session.info.pop(_DRIVER, None)
    ended = False
    try:
        if session.in_transaction():
            if commit:
                await session.commit()
            else:
                try:
                    await session.rollback()
                except SQLAlchemyError:
                    if held is None or not held.driver.is_closed():
                        raise
                    # Nothing to roll back: the server ended the transaction with the
                    # connection (the request's own error is the one worth reporting).
        if held is not None and held.adapted._transaction is not None:
            await _end(held, commit=commit)
        ended = True
    finally:
        if session.in_transaction():
            await session.close()
        else:
            session.sync_session.close()  # a session never closes the connection it is bound to
        if held is not None:
            await _release(held, reusable=ended)


async def _end(held: _Held, *, commit: bool) -> None:
    """End a transaction begun through the driver (driver statements only, or begun again
    after the ORM's own commit or rollback) where it was begun."""
    transaction = held.adapted._transaction
    if not commit and held.driver.is_closed():
        held.adapted._transaction = None  # the server ended it with the connection
        return
    await held.adapted._call_and_discard(transaction.commit if commit else transaction.rollback)


async def _release(held: _Held, *, reusable: bool = True) -> None:
    """Hand a held connection back to the pool; drop one whose transaction did not end
    cleanly (its state is unknown) or whose server went away."""
    if reusable and held.adapted._transaction is None and not held.driver.is_closed():
        # No I/O: nothing to roll back on the way into the pool.
        if held.connection is not None:
            held.connection.close()
        else:
            held.pooled.close()
        return
    if held.connection is not None:
        await greenlet_spawn(held.connection.invalidate)  # a no-op if the ORM did already
        held.connection.close()
    else:
        await greenlet_spawn(held.pooled.invalidate)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in one transaction: commit when the block succeeds, roll back when it raises."""
    async with sessionmaker() as session, session.begin():
        yield session
