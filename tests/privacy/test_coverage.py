"""Every table holding a request's or a person's data is forgotten by some context.

The schema is introspected: a new table with a request or person column (or a foreign key to
``requests`` or ``users``) fails this test until its context names it in ``FORGETS`` and
forgets its rows in that context's retention function.
"""

from __future__ import annotations

import asyncpg

from eservice.privacy.registry import covered_tables

PERSONAL_COLUMNS = {
    "request_id",
    "user_id",
    "applicant_id",
    "staff_id",
    "actor_id",
    "uploaded_by",
    "email",
    "filed_by_id",
}


async def _linked_tables(conn: asyncpg.Connection) -> set[str]:
    columns = await conn.fetch(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = ANY($1::text[])",
        sorted(PERSONAL_COLUMNS),
    )
    foreign = await conn.fetch(
        "SELECT conrelid::regclass::text AS table_name FROM pg_constraint "
        "WHERE contype = 'f' AND confrelid::regclass::text IN ('requests', 'users')"
    )
    return {r["table_name"] for r in [*columns, *foreign]}


async def test_every_table_with_request_or_person_data_is_covered(
    raw_connection: asyncpg.Connection,
) -> None:
    linked = await _linked_tables(raw_connection)
    assert {"requests", "request_events", "inbox_items", "users", "attachments"} <= linked
    missing = linked - covered_tables()
    assert not missing, f"no context forgets the rows of {sorted(missing)}"


async def test_the_check_notices_a_new_table(raw_connection: asyncpg.Connection) -> None:
    async with raw_connection.transaction():
        await raw_connection.execute(
            "CREATE TABLE reminders (id int PRIMARY KEY, request_id uuid REFERENCES requests(id))"
        )
        linked = await _linked_tables(raw_connection)
        await raw_connection.execute("DROP TABLE reminders")
    assert "reminders" in linked - covered_tables()
