"""The repository's INSERT and compare-and-set statements: SQLAlchemy Core, compiled once per
column set for asyncpg, with the table's scalar defaults for the columns a caller leaves out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.transaction import finish, open_scope
from eservice.requests import repository


def _minimal_request() -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "reference": f"T-{uuid.uuid4().hex[:12]}",
        "service_code": "hundeanmeldung",
        "service_version": 1,
        "title": "Hundeanmeldung / Dog registration",
        "department": "steuern",
        "state": "draft",
        "filed_by_kind": "citizen",
        "filed_by_id": uuid.uuid4(),
        "data": {"name": "Bello", "nested": {"ü": [1, 2]}},
        "sla_business_days": 10,
        "created_at": now,
        "updated_at": now,
    }


async def test_insert_fills_defaults_and_compare_and_set_moves_one_version(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    session = open_scope(sessionmaker)
    try:
        row = await repository.insert_request(session, _minimal_request())
        # Left out, so the table's scalar defaults: version 1, priority 0, SLA stopped.
        assert (row.version, row.priority, row.sla_state) == (1, 0, "stopped")
        assert row.data == {"name": "Bello", "nested": {"ü": [1, 2]}}  # JSONB round trip
        moved = await repository.compare_and_set(
            session, row.id, version=1, state="draft", values={"data": {"name": "Rex"}}
        )
        assert moved is not None
        assert (moved.version, moved.state, moved.data) == (2, "draft", {"name": "Rex"})
        stale = await repository.compare_and_set(
            session, row.id, version=1, state="draft", values={"data": {"name": "Max"}}
        )
        assert stale is None  # someone else (here: the call before) won
        wrong_state = await repository.compare_and_set(
            session, row.id, version=2, state="submitted", values={"priority": 3}
        )
        assert wrong_state is None
    finally:
        await finish(session, commit=False)


async def test_a_statement_is_compiled_once_per_column_set_and_never_from_input() -> None:
    first = repository._compare_and_set(("state", "updated_at"))
    assert repository._compare_and_set(("state", "updated_at")) is first
    assert "$1" in first.text
    assert "updated_at" in first.text
    with pytest.raises(ValueError, match="not columns"):
        repository._columns({"state": 1, "x; DROP TABLE requests": 2}, ("state",))
