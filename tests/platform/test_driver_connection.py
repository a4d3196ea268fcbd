"""Statements sent straight through asyncpg belong to the session's one transaction."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eservice.core.db import create_sessionmaker, driver_connection

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
