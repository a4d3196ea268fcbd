"""Rows of public reports written straight into the database, with chosen places and times."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

_numbers = itertools.count(1)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEPARTMENTS = {
    "strassenschaden": "tiefbau",
    "sondernutzung": "tiefbau",
    "hundeanmeldung": "steuern",
    "meldebescheinigung": "buergerservice",
}


async def insert_request(
    conn: asyncpg.Connection,
    *,
    lon: float | None = 10.6866,
    lat: float | None = 53.8655,
    service: str = "strassenschaden",
    state: str = "submitted",
    submitted_at: datetime | None = T0,
    closed_at: datetime | None = None,
    due_at: datetime | None = None,
    data: dict[str, Any] | None = None,
    address: str | None = "Breite Straße 62, 23552 Lübeck",
    sla_business_days: int = 10,
) -> uuid.UUID:
    """One request row as filing would leave it (plus a state and times of the test's choice)."""
    request_id = uuid.uuid4()
    location = None if lon is None else {"lon": lon, "lat": lat, "address": address}
    created = submitted_at or T0
    await conn.execute(
        """
        INSERT INTO requests (id, reference, service_code, service_version, title, department,
            state, applicant_id, filed_by_kind, filed_by_id, data, location, sla_business_days,
            sla_state, due_at, created_at, submitted_at, updated_at, closed_at)
        VALUES ($1, $2, $3, 1, 'Titel', $4, $5, $6, 'citizen', $6, $7::jsonb, $8::jsonb, $9,
            $10, $11, $12, $13, $14, $15)
        """,
        request_id,
        f"T-{next(_numbers):08d}",
        service,
        DEPARTMENTS[service],
        state,
        uuid.uuid4(),
        json.dumps(data or {"beschreibung": "Schlagloch vor Hausnummer 3, Tel. 0451 123"}),
        None if location is None else json.dumps(location),
        sla_business_days,
        "stopped" if closed_at else "runs",
        due_at,
        created,
        submitted_at,
        closed_at or created + timedelta(minutes=1),
        closed_at,
    )
    return request_id
