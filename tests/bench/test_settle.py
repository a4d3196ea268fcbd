"""Before each measurement the bench sets aside the worker's backlog of earlier measurements."""

from __future__ import annotations

import asyncpg
from bench.workload import SETTLE_SQL


async def test_settle_marks_pending_outbox_rows_processed_and_cancels_pending_deliveries(
    raw_connection: asyncpg.Connection,
) -> None:
    outbox_id = await raw_connection.fetchval(
        "INSERT INTO outbox (kind, payload) VALUES ('email', '{}') RETURNING id"
    )
    done_id = await raw_connection.fetchval(
        "INSERT INTO outbox (kind, payload, processed_at) "
        "VALUES ('email', '{}', now() - interval '1 day') RETURNING id"
    )
    done_before = await raw_connection.fetchval(
        "SELECT processed_at FROM outbox WHERE id = $1", done_id
    )
    await raw_connection.execute(
        "INSERT INTO deliveries (outbox_id, event_id, channel, message_id, event_type, payload) "
        "VALUES ($1, 1, 'email', 'm-1', 'request.submitted', '{}')",
        outbox_id,
    )
    await raw_connection.execute(SETTLE_SQL)
    assert await raw_connection.fetchval(
        "SELECT processed_at IS NOT NULL FROM outbox WHERE id = $1", outbox_id
    )
    assert (
        await raw_connection.fetchval("SELECT processed_at FROM outbox WHERE id = $1", done_id)
        == done_before
    )
    assert await raw_connection.fetchval("SELECT state FROM deliveries") == "cancelled"
