"""Seeding: accounts and tokens through identity's own functions; requests in bulk by SQL.

Requests are inserted with ``generate_series`` straight into ``requests`` (no history rows):
1M rows take about a minute. Ids are deterministic (``md5(tag || n)::uuid``) so that pgbench
scripts can address the same rows without a lookup table.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from bench.database import execute
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.transaction import transaction
from eservice.identity import service as identity
from eservice.identity.principal import Principal
from eservice.identity.tokens import issue_access_token

SERVICES = {
    "verkehr": ("bewohnerparkausweis", "Bewohnerparkausweis / Resident parking permit"),
    "tiefbau": ("sondernutzung", "Sondernutzungserlaubnis / Special use permit"),
    "steuern": ("hundeanmeldung", "Hundeanmeldung / Dog registration"),
    "buergerservice": ("meldebescheinigung", "Meldebescheinigung / Certificate of residence"),
}
DEPARTMENT = "verkehr"
# Background requests in review belong to another clerk: what the bench clerk holds is exactly
# what it claimed, so handing claims back stays a small update at any table size.
OTHER_CLERK = "00000000-0000-4000-8000-00000000c1e4"
TRANSITION_POOL = 2000
READ_POOL = 2000
FORM_DATA = (
    '{"vorname": "Anna", "nachname": "Schröder", "strasse": "Engelsgrube", "hausnummer": "12",'
    ' "plz": "23552", "ort": "Lübeck", "parkzone": "A1", "kennzeichen": "HL-AS 1234",'
    ' "haltereigenschaft": "halter", "gueltig_ab": "2026-01-01", "laufzeit_monate": 12}'
)


@dataclass(frozen=True)
class Accounts:
    citizen_id: UUID
    clerk_id: UUID


async def _accounts(settings: Settings, url: str) -> Accounts:
    engine = create_engine(url, settings)
    password = secrets.token_urlsafe(18)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            citizen = await identity.create_citizen(
                session,
                settings,
                email="citizen@bench.invalid",
                password=password,
                display_name="Bench Citizen",
                verified=True,
            )
            clerk = await identity.create_staff(
                session,
                settings,
                email="clerk@bench.invalid",
                password=password,
                roles=["clerk"],
                departments=list(SERVICES),
                display_name="Bench Clerk",
            )
    finally:
        await engine.dispose()
    return Accounts(citizen_id=citizen.id, clerk_id=clerk.id)


def accounts(settings: Settings, url: str) -> Accounts:
    """A verified citizen (files) and a clerk of every department (reads, transitions, claims)."""
    return asyncio.run(_accounts(settings, url))


def tokens(settings: Settings, seeded: Accounts) -> dict[str, str]:
    """Fresh access tokens (they live at most 15 minutes: issue one per measurement)."""
    citizen = Principal(
        kind="citizen",
        id=seeded.citizen_id,
        roles=frozenset({"citizen"}),
        email="citizen@bench.invalid",
        display_name="Bench Citizen",
        email_verified=True,
    )
    clerk = Principal(
        kind="staff",
        id=seeded.clerk_id,
        roles=frozenset({"clerk"}),
        departments=frozenset(SERVICES),
        email="clerk@bench.invalid",
        display_name="Bench Clerk",
        email_verified=True,
    )
    return {
        "citizen": issue_access_token(settings, citizen)[0],
        "clerk": issue_access_token(settings, clerk)[0],
    }


def _insert(seeded: Accounts, tag: str, first: int, last: int, shape: str) -> str:
    """INSERT rows ``first..last``; ``shape`` is a SQL CASE body over ``n`` per state group."""
    departments = "ARRAY[" + ",".join(f"'{d}'" for d in SERVICES) + "]"
    codes = "ARRAY[" + ",".join(f"'{c}'" for c, _ in SERVICES.values()) + "]"
    titles = "ARRAY[" + ",".join(f"'{t}'" for _, t in SERVICES.values()) + "]"
    return f"""
    INSERT INTO requests (id, reference, service_code, service_version, title, department, state,
        version, applicant_id, filed_by_kind, filed_by_id, assignee_id, priority, data,
        sla_business_days, sla_state, sla_paused_at, due_at, overdue_at, created_at,
        submitted_at, updated_at, closed_at)
    SELECT md5('{tag}' || n)::uuid, '{tag.upper()}-' || n, ({codes})[d], 1, ({titles})[d],
        ({departments})[d], s.state, 1, '{seeded.citizen_id}', 'citizen', '{seeded.citizen_id}',
        CASE WHEN s.assigned THEN '{OTHER_CLERK}'::uuid END, 0, '{FORM_DATA}'::jsonb,
        10, s.sla, NULL, t + interval '14 days',
        CASE WHEN NOT s.closed AND t + interval '14 days' < now() THEN t + interval '15 days' END,
        t, t, t,
        CASE WHEN s.closed THEN t + interval '7 days' END
    FROM generate_series({first}, {last}) AS n,
        LATERAL (SELECT {shape} AS d,
                 now() - interval '400 days' + (n % 397) * interval '1 day'
                       + (n % 86400) * interval '1 second' AS t) AS g,
        LATERAL (SELECT * FROM (VALUES
            (0, 'approved', 'stopped', false, true),
            (1, 'in_review', 'runs', true, false),
            (2, 'submitted', 'runs', false, false)) AS v(k, state, sla, assigned, closed)
          WHERE k = CASE WHEN n % 10 < 5 THEN 0 WHEN n % 10 < 7 THEN 1 ELSE 2 END) AS s
    """


def background_sql(seeded: Accounts, first: int, last: int) -> str:
    """Requests of every department: half closed, 20 % assigned, 30 % waiting unassigned.

    Half of them are in the bench department (verkehr), the rest spread over the others.
    """
    shape = "CASE WHEN n % 2 = 0 THEN 1 ELSE 2 + (n / 2) % 3 END"
    return _insert(seeded, "bg", first, last, shape)


def pool_sql(seeded: Accounts, tag: str, size: int, state: str) -> str:
    """``size`` open verkehr requests in ``state`` assigned to the clerk (transition/read pools)."""
    return f"""
    INSERT INTO requests (id, reference, service_code, service_version, title, department, state,
        version, applicant_id, filed_by_kind, filed_by_id, assignee_id, priority, data,
        sla_business_days, sla_state, due_at, created_at, submitted_at, updated_at)
    SELECT md5('{tag}' || n)::uuid, '{tag.upper()}-' || n, 'bewohnerparkausweis', 1,
        '{SERVICES[DEPARTMENT][1]}', 'verkehr', '{state}', 1, '{seeded.citizen_id}', 'citizen',
        '{seeded.citizen_id}', '{seeded.clerk_id}', 0, '{FORM_DATA}'::jsonb, 10, 'runs',
        now() + interval '10 days', now(), now(), now()
    FROM generate_series(1, {size}) AS n
    """


async def seed_requests(url: str, seeded: Accounts, total: int, *, pools: bool) -> None:
    """Grow the background to ``total`` rows (in chunks), plus the fixed pools once."""
    statements: list[str] = []
    if pools:
        statements.append(pool_sql(seeded, "tr", TRANSITION_POOL, "in_review"))
        statements.append(pool_sql(seeded, "rd", READ_POOL, "in_review"))
    await execute(url, *statements)
    have = int(str(await _count(url)))
    chunk = 200_000
    for first in range(have + 1, total + 1, chunk):
        await execute(url, background_sql(seeded, first, min(first + chunk - 1, total)))
    await execute(url, "VACUUM ANALYZE requests")
    # Write the dirty pages now rather than during the next measurement.
    with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
        await execute(url, "CHECKPOINT")


async def _count(url: str) -> object:
    from bench.database import fetchval

    return await fetchval(url, "SELECT count(*) FROM requests WHERE reference LIKE 'BG-%'")


# The open-request conditions let PostgreSQL find the clerk's requests through the partial
# index ix_requests_assignee_open. Without them the release (10 times a second during claims)
# scanned every submitted request: 0.4 s per release at 1M rows, a core's worth of work that
# slowed both sides of the large scaling point.
RELEASE_SQL = (
    "UPDATE requests SET assignee_id = NULL WHERE reference LIKE 'BG-%' "
    "AND assignee_id = '{clerk}' AND state = 'submitted' "
    "AND submitted_at IS NOT NULL AND closed_at IS NULL"
)


def release_sql(seeded: Accounts) -> str:
    """Hand claimed background requests back to the queue (keeps the claim queue full)."""
    return RELEASE_SQL.format(clerk=seeded.clerk_id)
