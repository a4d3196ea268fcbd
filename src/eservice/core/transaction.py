"""One transaction per HTTP request or worker job, on one pooled connection.

What a scope guarantees (tests/platform/test_driver_connection.py holds each one):

- Every statement of the scope, sent through the ORM or straight through asyncpg
  (:func:`driver_connection`), runs in one transaction on one connection.
- :func:`finish` with ``commit=True`` commits it; with ``commit=False``, or when the commit
  fails, nothing of it remains.
- A connection goes back to the pool only outside a transaction. One whose state is unknown
  (COMMIT or ROLLBACK failed, the server went away) is invalidated and never handed out again,
  and a failed rollback does not hide the error that caused it.
- A scope that runs no statement takes no connection and costs no round trip.
- A scope whose first statement is sent through :func:`single_statement` runs it outside an
  explicit transaction: it commits on its own, in one round trip, without ``BEGIN`` and
  ``COMMIT``, and :func:`finish` cannot undo it. Whatever the scope runs afterwards runs in a
  ``READ ONLY`` transaction. That is the rule which keeps it safe: under READ COMMITTED every
  statement takes its own snapshot, so a later read sees what it would have seen in the same
  transaction; a later write could no longer be atomic with the first statement, so
  PostgreSQL refuses it (it fails loudly, never half-applied). A statement that must share a
  transaction with others uses :func:`driver_connection`; :func:`single_statement` in a scope
  that has already begun joins its transaction like :func:`driver_connection`.

How, with public APIs only: a scope's connection comes from the engine's AUTOCOMMIT copy
(``Engine.execution_options``, the same pool), so SQLAlchemy's asyncpg adapter never begins
or ends a transaction on it; the scope sends ``BEGIN`` through the driver before its first
statement and ``COMMIT`` or ``ROLLBACK`` at its end. ORM statements are bound to the scope's
connection by ``Session.get_bind`` (SQLAlchemy's documented extension point), so they run in
that same transaction; the ORM's own commit and rollback only flush and forget objects.

Sessions made by the sessionmaker outside a scope (tests, one-off tools) are plain SQLAlchemy
sessions; :func:`driver_connection` joins their transaction too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

SCOPE = "eservice.scope"
AUTOCOMMIT_ENGINE = "eservice.autocommit_engine"


class Scope:
    """The connection and transaction of one request or job, taken on first use."""

    __slots__ = ("connection", "driver", "engine", "read_only")

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine  # the AUTOCOMMIT copy of the app's engine
        self.connection: AsyncConnection | None = None
        self.driver: asyncpg.Connection | None = None
        # Set once a statement ran on its own (single_statement): what follows only reads.
        self.read_only = False

    @property
    def _begin(self) -> str:
        return "BEGIN READ ONLY" if self.read_only else "BEGIN"

    async def checkout(self) -> asyncpg.Connection:
        """The scope's driver connection, checked out, in whatever transaction state it is."""
        if self.driver is None:
            connection = await self.engine.connect()
            self._began(connection, connection.sync_connection)
        assert self.driver is not None
        return self.driver

    async def begin(self) -> asyncpg.Connection:
        """The scope's driver connection, checked out and inside its transaction."""
        driver = await self.checkout()
        if not driver.is_in_transaction():
            await driver.execute(self._begin)
        return driver

    async def single(self) -> asyncpg.Connection:
        """The driver connection outside a transaction when nothing ran yet (else begin)."""
        if self.driver is not None or self.read_only:
            return await self.begin()
        driver = await self.checkout()
        self.read_only = True
        return driver

    def bind(self) -> Connection:
        """The scope's connection for the ORM (called inside SQLAlchemy's greenlet)."""
        if self.connection is None:
            self._began(None, self.engine.sync_engine.connect())
        sync = self.connection.sync_connection if self.connection is not None else None
        assert sync is not None
        if self.driver is not None and not self.driver.is_in_transaction():
            sync.exec_driver_sql(self._begin)
        return sync

    def _began(self, connection: AsyncConnection | None, sync: Connection | None) -> None:
        assert sync is not None  # a connection that was just checked out is started
        self.connection = connection or AsyncConnection(self.engine, sync)
        self.driver = sync.connection.driver_connection

    async def end(self, *, commit: bool) -> None:
        """COMMIT or ROLLBACK, then hand the connection back (or drop it when in doubt)."""
        connection, driver = self.connection, self.driver
        self.connection = self.driver = None
        if connection is None or driver is None:
            return
        clean = False
        try:
            if driver.is_closed():
                if commit:
                    raise asyncpg.InterfaceError("the connection was lost before COMMIT")
            elif driver.is_in_transaction():
                status = await driver.execute("COMMIT" if commit else "ROLLBACK")
                if commit and status != "COMMIT":
                    # PostgreSQL answers COMMIT of a failed transaction with a rollback.
                    raise asyncpg.InFailedSQLTransactionError("the transaction was rolled back")
            clean = not driver.is_closed() and not driver.is_in_transaction()
        except Exception:
            if commit:
                raise
            # A rollback that fails leaves nothing to undo on a connection that is dropped;
            # the error worth reporting is the one that made the scope roll back.
        finally:
            if not clean:
                await connection.invalidate()
            await connection.close()


class ScopedSession(Session):
    """A session that runs its statements on its scope's connection, when it has a scope."""

    def get_bind(self, mapper: Any = None, **kw: Any) -> Any:
        scope: Scope | None = self.info.get(SCOPE)
        if scope is None:
            return super().get_bind(mapper, **kw)
        return scope.bind()


def open_scope(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncSession:
    """A new session in a scope of its own (see the module docstring)."""
    session = sessionmaker()
    session.info[SCOPE] = Scope(session.info[AUTOCOMMIT_ENGINE])
    return session


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``, inside the session's transaction.

    Hot-path repositories send their statements straight through asyncpg: SQLAlchemy's
    execution layer costs several times the driver's own work per statement (bench/README.md).
    """
    scope: Scope | None = session.info.get(SCOPE)
    if scope is not None:
        return await scope.begin()
    # A plain session: SQLAlchemy's adapter begins its transaction before the first statement
    # it runs itself, so one is run through it when the driver would otherwise be first.
    connection = await session.connection()
    driver: asyncpg.Connection = (await connection.get_raw_connection()).driver_connection
    if not driver.is_in_transaction():
        await connection.exec_driver_sql("SELECT 1")
    return driver


async def single_statement(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection for a statement that is the scope's only one.

    When the scope has not begun, the connection comes outside any transaction: the statement
    runs in its own implicit transaction (one round trip, no ``BEGIN``/``COMMIT``) and
    everything after it in the scope is read only (see the module docstring). When the scope
    has begun, or outside a scope, this is :func:`driver_connection`: the statement joins the
    transaction. Either way the statement's result is the same; only its atomicity with later
    statements differs, so callers send one statement that carries all its writes.
    """
    scope: Scope | None = session.info.get(SCOPE)
    if scope is not None and not session.in_transaction():
        return await scope.single()
    return await driver_connection(session)


def single_statement_wrote_nothing(session: AsyncSession) -> None:
    """The statement sent through :func:`single_statement` changed nothing (its caller knows:
    e.g. its guard matched no row), so the scope may write again as if it had not run."""
    scope: Scope | None = session.info.get(SCOPE)
    if scope is not None and scope.driver is not None and not scope.driver.is_in_transaction():
        scope.read_only = False


async def finish(session: AsyncSession, *, commit: bool) -> None:
    """End ``session``'s transaction (commit or roll back) and close it."""
    scope: Scope | None = session.info.get(SCOPE)
    if scope is None:
        try:
            if session.in_transaction():
                await (session.commit() if commit else session.rollback())
        finally:
            await session.close()
        return
    try:
        if session.in_transaction():
            # Flushes what the ORM holds (commit) or forgets it (rollback); the transaction
            # itself is the scope's.
            await (session.commit() if commit else session.rollback())
            await session.close()
        else:
            session.expunge_all()
    except BaseException:
        await scope.end(commit=False)
        raise
    await scope.end(commit=commit)


async def release_connection(session: AsyncSession) -> None:
    """Roll back what ``session`` did so far and hand its connection back to the pool; its
    next statement begins a new transaction (for a slow upload that must not hold one)."""
    scope: Scope | None = session.info.get(SCOPE)
    if session.in_transaction():
        await session.rollback()
    if scope is not None:
        await scope.end(commit=False)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A scoped session: commit when the block succeeds, roll back when it raises."""
    session = open_scope(sessionmaker)
    try:
        yield session
    except BaseException:
        await finish(session, commit=False)
        raise
    await finish(session, commit=True)


class RequestSessions:
    """The request scope's sessions (``core.deps.provide_db_session``)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    def open(self) -> AsyncSession:
        return open_scope(self._sessionmaker)

    async def finish(self, session: AsyncSession, *, commit: bool) -> None:
        await finish(session, commit=commit)
