"""Statements sent straight through asyncpg belong to the session's one transaction."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eservice.core.db import create_sessionmaker, driver_connection, finish

_INSERT = "INSERT INTO outbox (kind, payload) VALUES ('email', $1)"
_COUNT = text("SELECT count(*) FROM outbox WHERE payload ->> 'marker' = :marker")


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
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    for marker, commit in (("finished", True), ("abandoned", False)):
        session = sessions()
        connection = await driver_connection(session)
        await connection.execute(_INSERT, f'{{"marker": "{marker}"}}')
        await finish(session, commit=commit)
        assert not session.in_transaction()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await _count(engine, "finished") == 1
    assert await _count(engine, "abandoned") == 0
