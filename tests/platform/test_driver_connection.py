"""Statements sent straight through asyncpg belong to the session's one transaction."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from eservice.core.db import create_sessionmaker, normalise_database_url
from eservice.core.transaction import (
    RequestSessions,
    driver_connection,
    finish,
    release_connection,
    single_statement,
)
from tests.support.database import plain

_INSERT = "INSERT INTO outbox (kind, payload) VALUES ('email', $1)"
_COUNT = text("SELECT count(*) FROM outbox WHERE payload ->> 'marker' = :marker")


def _pool_checked_out(engine: AsyncEngine) -> int:
    return int(engine.pool.checkedout())  # type: ignore[attr-defined]


async def _count(engine: AsyncEngine, marker: str) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(_COUNT, {"marker": marker})).scalar_one())


async def test_a_raw_statement_first_in_the_transaction_is_rolled_back_with_it(
    engine: AsyncEngine,
) -> None:
    async with create_sessionmaker(engine)() as session:
        await session.begin()
        connection = await driver_connection(session)
        assert connection.is_in_transaction()
        await connection.execute(_INSERT, '{"marker": "rolled-back"}')
        await session.rollback()
    assert await _count(engine, "rolled-back") == 0


async def test_raw_and_sqlalchemy_statements_share_one_transaction_and_commit(
    engine: AsyncEngine,
) -> None:
    async with create_sessionmaker(engine)() as session:
        await session.begin()
        connection = await driver_connection(session)
        await connection.execute(_INSERT, '{"marker": "committed"}')
        raw_txid = await connection.fetchval("SELECT txid_current()")
        orm_txid = (await session.execute(text("SELECT txid_current()"))).scalar_one()
        assert raw_txid == orm_txid
        assert await _count(engine, "committed") == 0  # not visible before the commit
        await session.commit()
    assert await _count(engine, "committed") == 1


async def test_the_connection_is_remembered_for_one_transaction_only(engine: AsyncEngine) -> None:
    async with create_sessionmaker(engine)() as session:
        first = await driver_connection(session)
        assert await driver_connection(session) is first
        await first.execute(_INSERT, '{"marker": "kept"}')
        await session.commit()
        # A new transaction: the connection is asked for again and a new BEGIN issued.
        second = await driver_connection(session)
        assert second.is_in_transaction()
        await second.execute(_INSERT, '{"marker": "dropped"}')
        await session.rollback()
    assert await _count(engine, "kept") == 1
    assert await _count(engine, "dropped") == 0


async def test_finish_commits_or_rolls_back_and_leaves_nothing_checked_out(
    engine: AsyncEngine,
) -> None:
    sessions = create_sessionmaker(engine)
    untouched = sessions()
    await finish(untouched, commit=True)  # never began: no connection, no round trip
    assert _pool_checked_out(engine) == 0
    for marker, commit in (("finished", True), ("abandoned", False)):
        session = sessions()
        connection = await driver_connection(session)
        await connection.execute(_INSERT, f'{{"marker": "{marker}"}}')
        await finish(session, commit=commit)
        assert not session.in_transaction()
        assert _pool_checked_out(engine) == 0
    assert await _count(engine, "finished") == 1
    assert await _count(engine, "abandoned") == 0


# Request sessions (core.transaction): the connection is checked out and the
# transaction begun by the first driver statement; the ORM joins that transaction.


async def test_a_request_session_runs_driver_and_orm_statements_in_one_transaction(
    engine: AsyncEngine,
) -> None:
    sessions = RequestSessions(create_sessionmaker(engine))
    for marker, commit in (("request-kept", True), ("request-dropped", False)):
        session = sessions.open()
        connection = await driver_connection(session)
        assert not session.in_transaction()  # no ORM transaction until the ORM is used
        await connection.execute(_INSERT, f'{{"marker": "{marker}"}}')
        raw_txid = await connection.fetchval("SELECT txid_current()")
        orm_txid = (await session.execute(text("SELECT txid_current()"))).scalar_one()
        assert raw_txid == orm_txid
        await _orm_insert(session, marker)
        assert await driver_connection(session) is connection
        assert await _count(engine, marker) == 0  # nothing visible before the end
        await finish(session, commit=commit)
        assert _pool_checked_out(engine) == 0
    assert await _count(engine, "request-kept") == 2
    assert await _count(engine, "request-dropped") == 0


async def test_a_request_session_with_driver_statements_only_commits_them(
    engine: AsyncEngine,
) -> None:
    await _a_request_commits(RequestSessions(create_sessionmaker(engine)), engine, "driver-only")


async def test_released_connection_rolls_back_and_the_next_statement_begins_anew(
    engine: AsyncEngine,
) -> None:
    session = RequestSessions(create_sessionmaker(engine)).open()
    connection = await driver_connection(session)
    await connection.execute(_INSERT, '{"marker": "undone"}')
    await _orm_insert(session, "undone")
    await release_connection(session)  # what a slow upload does before reading the body
    assert _pool_checked_out(engine) == 0
    again = await driver_connection(session)
    assert again.is_in_transaction()
    await again.execute(_INSERT, '{"marker": "after-release"}')
    await finish(session, commit=False)  # rolled back, not autocommitted
    assert _pool_checked_out(engine) == 0
    assert await _count(engine, "undone") == 0
    assert await _count(engine, "after-release") == 0


async def test_the_orm_first_then_the_driver_share_one_transaction(engine: AsyncEngine) -> None:
    session = RequestSessions(create_sessionmaker(engine)).open()
    orm_txid = (await session.execute(text("SELECT txid_current()"))).scalar_one()
    await _orm_insert(session, "orm-first")
    connection = await driver_connection(session)
    assert await connection.fetchval("SELECT txid_current()") == orm_txid
    await finish(session, commit=True)
    assert _pool_checked_out(engine) == 0
    assert await _count(engine, "orm-first") == 1


async def test_a_commit_after_a_swallowed_error_fails_instead_of_losing_the_writes(
    engine: AsyncEngine,
) -> None:
    session = RequestSessions(create_sessionmaker(engine)).open()
    connection = await driver_connection(session)
    await connection.execute(_INSERT, '{"marker": "doomed"}')
    with pytest.raises(asyncpg.PostgresError):
        await connection.execute("SELECT 1 / 0")  # a caller that catches this and goes on
    with pytest.raises(asyncpg.PostgresError):
        await finish(session, commit=True)  # PostgreSQL would answer COMMIT with ROLLBACK
    assert _pool_checked_out(engine) == 0
    assert await _count(engine, "doomed") == 0


async def test_a_failed_statement_is_rolled_back_and_the_connection_reused(
    engine: AsyncEngine,
) -> None:
    sessions = RequestSessions(create_sessionmaker(engine))
    session = sessions.open()
    connection = await driver_connection(session)
    with pytest.raises(asyncpg.PostgresError):
        await connection.execute("SELECT 1 / 0")
    await finish(session, commit=False)
    assert _pool_checked_out(engine) == 0
    await _a_request_commits(sessions, engine, "next")


@pytest.mark.parametrize(("orm", "commit"), [(False, False), (False, True), (True, False)])
async def test_a_connection_lost_mid_request_is_not_handed_out_again(
    engine: AsyncEngine, database_url: str, orm: bool, commit: bool
) -> None:
    sessions = RequestSessions(create_sessionmaker(engine))
    session = sessions.open()
    connection = await driver_connection(session)
    if orm:
        await session.execute(text("SELECT 1"))
    pid = connection.get_server_pid()
    killer = await asyncpg.connect(plain(database_url))
    try:
        await killer.execute("SELECT pg_terminate_backend($1, 5000)", pid)  # waits for the exit
    finally:
        await killer.close()
    lost = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)
    with pytest.raises((*lost, ConnectionError)):
        await connection.execute(_INSERT, '{"marker": "lost"}')
    if commit:  # a commit that cannot happen is an error, never a false success
        with pytest.raises(asyncpg.InterfaceError):
            await finish(session, commit=True)
    else:  # nothing to roll back: the server ended the transaction with the connection
        await finish(session, commit=False)
    assert _pool_checked_out(engine) == 0
    assert await _a_request_commits(sessions, engine, "fresh") != pid


async def test_each_request_session_has_its_own_transaction_and_identity_map(
    engine: AsyncEngine,
) -> None:
    sessions = RequestSessions(create_sessionmaker(engine))
    first = sessions.open()
    connection = await driver_connection(first)
    first_txid = await connection.fetchval("SELECT txid_current()")
    await _orm_insert(first, "first-use")
    await sessions.finish(first, commit=True)
    again = sessions.open()
    assert len(again.identity_map) == 0
    connection = await driver_connection(again)
    assert await connection.fetchval("SELECT txid_current()") != first_txid
    await _orm_insert(again, "second-use")
    await sessions.finish(again, commit=False)
    assert await _count(engine, "first-use") == 1
    assert await _count(engine, "second-use") == 0
    assert _pool_checked_out(engine) == 0


async def _a_request_commits(sessions: RequestSessions, engine: AsyncEngine, marker: str) -> int:
    """A request inserting ``marker`` through the driver, committed, its connection back in
    the pool; the server process that served it."""
    session = sessions.open()
    connection = await driver_connection(session)
    assert connection.is_in_transaction()
    await connection.execute(_INSERT, f'{{"marker": "{marker}"}}')
    await sessions.finish(session, commit=True)
    assert not connection.is_in_transaction()
    assert _pool_checked_out(engine) == 0
    assert await _count(engine, marker) == 1
    return connection.get_server_pid()


async def _orm_insert(session: AsyncSession, marker: str) -> None:
    await session.execute(
        text("INSERT INTO outbox (kind, payload) VALUES ('email', CAST(:p AS jsonb))"),
        {"p": f'{{"marker": "{marker}"}}'},
    )


async def test_a_connection_due_for_recycling_is_replaced(
    database_url: str,
) -> None:
    engine = create_async_engine(normalise_database_url(database_url), pool_recycle=1)
    try:
        sessions = RequestSessions(create_sessionmaker(engine))
        session = sessions.open()
        old_pid = (await driver_connection(session)).get_server_pid()
        await sessions.finish(session, commit=True)
        await asyncio.sleep(1.2)
        assert await _a_request_commits(sessions, engine, "recycled") != old_pid
    finally:
        await engine.dispose()


# single_statement: a scope's only statement, in its own implicit transaction.


async def test_a_single_statement_commits_on_its_own_without_begin_or_commit(
    engine: AsyncEngine,
) -> None:
    sent: list[str] = []

    def log(logged: asyncpg.connection.LoggedQuery) -> None:
        sent.append(logged.query)

    session = RequestSessions(create_sessionmaker(engine)).open()
    connection = await single_statement(session)
    connection.add_query_logger(log)
    try:
        assert not connection.is_in_transaction()
        await connection.execute(_INSERT, '{"marker": "alone"}')
        assert await _count(engine, "alone") == 1  # committed before the scope ends
        # What runs afterwards reads in a READ ONLY transaction; a write fails loudly.
        assert await driver_connection(session) is connection
        assert connection.is_in_transaction()
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await connection.execute(_INSERT, '{"marker": "after-alone"}')
    finally:
        connection.remove_query_logger(log)
        await finish(session, commit=False)
    await asyncio.sleep(0)  # asyncpg calls query loggers soon after each statement
    assert sent[:2] == [_INSERT, "BEGIN READ ONLY"]
    assert _pool_checked_out(engine) == 0
    assert not connection.is_in_transaction()
    assert await _count(engine, "alone") == 1  # a rollback of the scope cannot undo it
    assert await _count(engine, "after-alone") == 0


async def test_the_orm_after_a_single_statement_reads_only(engine: AsyncEngine) -> None:
    session = RequestSessions(create_sessionmaker(engine)).open()
    connection = await single_statement(session)
    await connection.execute(_INSERT, '{"marker": "orm-after"}')
    assert (await session.execute(_COUNT, {"marker": "orm-after"})).scalar_one() == 1
    with pytest.raises(DBAPIError, match="read-only"):
        await _orm_insert(session, "orm-after")
    await finish(session, commit=False)
    assert _pool_checked_out(engine) == 0
    assert await _count(engine, "orm-after") == 1


async def test_a_single_statement_in_a_begun_scope_joins_its_transaction(
    engine: AsyncEngine,
) -> None:
    session = RequestSessions(create_sessionmaker(engine)).open()
    first = await driver_connection(session)
    await first.execute(_INSERT, '{"marker": "joined"}')
    connection = await single_statement(session)
    assert connection is first
    assert connection.is_in_transaction()
    await connection.execute(_INSERT, '{"marker": "joined"}')
    await finish(session, commit=False)
    assert await _count(engine, "joined") == 0
    assert _pool_checked_out(engine) == 0


async def test_a_failed_single_statement_leaves_a_clean_connection(engine: AsyncEngine) -> None:
    sessions = RequestSessions(create_sessionmaker(engine))
    session = sessions.open()
    connection = await single_statement(session)
    with pytest.raises(asyncpg.PostgresError):
        await connection.execute("INSERT INTO outbox (kind, payload) VALUES ('email', 1 / 0)")
    assert not connection.is_in_transaction()
    await finish(session, commit=False)
    assert _pool_checked_out(engine) == 0
    await _a_request_commits(sessions, engine, "after-failed-single")


@pytest.mark.parametrize("commit", [False, True])
async def test_a_connection_lost_under_a_single_statement_is_dropped(
    engine: AsyncEngine, database_url: str, commit: bool
) -> None:
    sessions = RequestSessions(create_sessionmaker(engine))
    session = sessions.open()
    connection = await single_statement(session)
    pid = connection.get_server_pid()
    killer = await asyncpg.connect(plain(database_url))
    try:
        await killer.execute("SELECT pg_terminate_backend($1, 5000)", pid)
    finally:
        await killer.close()
    lost = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)
    with pytest.raises((*lost, ConnectionError)):
        await connection.execute(_INSERT, '{"marker": "lost-single"}')
    if commit:
        with pytest.raises(asyncpg.InterfaceError):
            await finish(session, commit=True)
    else:
        await finish(session, commit=False)
    assert _pool_checked_out(engine) == 0
    assert await _count(engine, "lost-single") == 0
    assert await _a_request_commits(sessions, engine, "after-lost-single") != pid
