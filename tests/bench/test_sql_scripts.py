"""The pgbench scripts run against the migrated schema and do what the API operations do."""

from __future__ import annotations

import asyncio
import subprocess

import asyncpg
import pytest
from bench.database import pg_bin, plain
from bench.loadgen import SQL
from bench.workload import pool_id

from bench import seed
from eservice.core.config import Settings

pytestmark = pytest.mark.usefixtures("_clean_tables")


def _pgbench(url: str, script: str, accounts: seed.Accounts, **extra: str) -> None:
    variables = {"clerk": str(accounts.clerk_id), "citizen": str(accounts.citizen_id), **extra}
    command = [pg_bin("pgbench"), "-n", "-M", "prepared", "-c", "2", "-t", "3"]
    command += ["-f", str(SQL / f"{script}.sql")]
    for name, value in variables.items():
        command += ["-D", f"{name}={value}"]
    done = subprocess.run([*command, plain(url)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


async def _one(url: str, query: str) -> object:
    conn = await asyncpg.connect(plain(url))
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


def _value(url: str, query: str) -> object:
    return asyncio.run(_one(url, query))


def test_seeding_and_every_pgbench_script_do_the_api_operations_work(
    database_url: str, settings: Settings
) -> None:
    accounts = seed.accounts(settings, database_url)
    asyncio.run(seed.seed_requests(database_url, accounts, 200, pools=True))
    url = database_url
    assert (
        _value(url, "SELECT count(*) FROM requests") == 200 + seed.TRANSITION_POOL + seed.READ_POOL
    )
    first_read = pool_id("rd", 1)
    assert _value(url, f"SELECT state FROM requests WHERE id = '{first_read}'") == "in_review"

    _pgbench(url, "file", accounts)
    assert (
        _value(
            url,
            "SELECT count(*) FROM requests WHERE state = 'submitted' "
            "AND reference LIKE 'PB-%' AND submitted_at IS NOT NULL",
        )
        == 6
    )
    assert (
        _value(url, "SELECT count(*) FROM request_events WHERE type IN ('filed', 'submitted')")
        == 12
    )

    _pgbench(url, "transition", accounts, pool=str(seed.TRANSITION_POOL // 2))
    assert _value(url, "SELECT sum(version - 1) FROM requests WHERE reference LIKE 'TR-%'") == 6
    assert _value(url, "SELECT count(*) FROM request_events WHERE type = 'transitioned'") == 6

    _pgbench(url, "read", accounts, pool=str(seed.READ_POOL))
    assert _value(url, "SELECT count(*) FROM request_access_log WHERE action = 'read'") == 6

    _pgbench(url, "queue", accounts)
    assert _value(url, "SELECT count(*) FROM request_access_log WHERE action = 'list'") == 6 * 20

    asyncio.run(_release(url, accounts))
    _pgbench(url, "claim", accounts)
    assert _value(url, "SELECT count(*) FROM request_events WHERE type = 'assigned'") == 6
    assert (
        _value(
            url, "SELECT count(DISTINCT request_id) FROM request_access_log WHERE action = 'claim'"
        )
        == 6
    )
    # Every write that notifies anyone also queued one outbox event, as the API does.
    assert _value(url, "SELECT count(*) FROM outbox") == 6 + 6 + 6


async def _release(url: str, accounts: seed.Accounts) -> None:
    conn = await asyncpg.connect(plain(url))
    try:
        await conn.execute(seed.release_sql(accounts))
    finally:
        await conn.close()


def test_release_hands_claimed_background_requests_back_to_the_queue(
    database_url: str, settings: Settings
) -> None:
    accounts = seed.accounts(settings, database_url)
    asyncio.run(seed.seed_requests(database_url, accounts, 100, pools=False))
    unassigned = "SELECT count(*) FROM requests WHERE assignee_id IS NULL AND state = 'submitted'"
    before = _value(database_url, unassigned)
    _pgbench(database_url, "claim", accounts)
    assert _value(database_url, unassigned) == int(str(before)) - 6
    asyncio.run(_release(database_url, accounts))
    assert _value(database_url, unassigned) == before


def test_release_finds_the_clerks_requests_through_the_assignee_index(
    database_url: str, settings: Settings
) -> None:
    """At 1M rows any other plan costs 0.4 s per release, ten releases a second."""
    accounts = seed.accounts(settings, database_url)

    async def plan() -> str:
        conn = await asyncpg.connect(plain(database_url))
        try:
            await conn.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
            rows = await conn.fetch("EXPLAIN " + seed.release_sql(accounts))
        finally:
            await conn.close()
        return "\n".join(row[0] for row in rows)

    assert "ix_requests_assignee_open" in asyncio.run(plan())


def test_every_minimal_script_writes_the_same_rows_in_one_statement(
    database_url: str, settings: Settings
) -> None:
    accounts = seed.accounts(settings, database_url)
    asyncio.run(seed.seed_requests(database_url, accounts, 200, pools=True))
    url = database_url
    for name in ("file", "transition", "read", "queue", "claim"):
        statements = [
            line
            for line in (SQL / "minimal" / f"{name}.sql").read_text().splitlines()
            if line and not line.startswith(("--", "\\"))
        ]
        assert len(statements) == 1, name  # one round trip, its own implicit transaction

    _pgbench(url, "minimal/file", accounts)
    assert (
        _value(
            url,
            "SELECT count(*) FROM requests WHERE state = 'submitted' "
            "AND due_at IS NOT NULL AND reference LIKE 'PB-%'",
        )
        == 6
    )
    assert _value(url, "SELECT count(*) FROM request_events WHERE type = 'submitted'") == 6
    assert (
        _value(url, "SELECT count(*) FROM outbox WHERE payload ->> 'type' = 'request.submitted'")
        == 6
    )

    _pgbench(url, "minimal/transition", accounts, pool=str(seed.TRANSITION_POOL // 2))
    assert _value(url, "SELECT sum(version - 1) FROM requests WHERE reference LIKE 'TR-%'") == 6
    assert _value(url, "SELECT count(*) FROM request_events WHERE type = 'transitioned'") == 6
    assert (
        _value(url, "SELECT count(*) FROM outbox WHERE payload ->> 'type' = 'request.transitioned'")
        == 6
    )

    _pgbench(url, "minimal/read", accounts, pool=str(seed.READ_POOL))
    _pgbench(url, "minimal/queue", accounts)
    assert _value(url, "SELECT count(*) FROM request_access_log") == 0  # reads write nothing

    asyncio.run(_release(url, accounts))
    assigned = f"SELECT count(*) FROM requests WHERE assignee_id = '{accounts.clerk_id}'"
    before = _value(url, assigned)
    _pgbench(url, "minimal/claim", accounts)
    assert _value(url, "SELECT count(*) FROM request_events WHERE type = 'assigned'") == 6
    assert _value(url, assigned) == before + 6  # type: ignore[operator]


def test_the_bare_stack_runs_the_minimal_statements(database_url: str, settings: Settings) -> None:
    from bench import bare

    accounts = seed.accounts(settings, database_url)
    asyncio.run(seed.seed_requests(database_url, accounts, 10, pools=True))

    async def run() -> tuple[object, object]:
        conn = await asyncpg.connect(plain(database_url))
        try:
            read = await conn.fetchrow(bare.READ, pool_id("rd", 1))
            await conn.execute(bare.FILE, accounts.citizen_id)
            filed = await conn.fetchval("SELECT count(*) FROM outbox")
        finally:
            await conn.close()
        return read, filed

    read, filed = asyncio.run(run())
    assert read is not None
    assert read["id"] == pool_id("rd", 1)  # type: ignore[index]
    assert filed == 1
