"""All SQL of one request: rows, compare-and-set updates, history, timers, access log."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

from asyncpg import Record
from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import ColumnDefault

from eservice.core.db import Base, json_text
from eservice.core.transaction import driver_connection, single_statement
from eservice.requests.access import VISIBLE_SQL, Visibility
from eservice.requests.tables import (
    OPEN_CONDITION,
    RequestAccessRow,
    RequestEventRow,
    RequestRow,
    RequestTimerRow,
)

# The statements every read, transition and filing runs go straight through asyncpg (see
# core.db.driver_connection); rows come back as plain, session-less RequestRow objects.
_REQUEST_COLUMNS = tuple(column.name for column in RequestRow.__table__.columns)
_EVENT_COLUMNS = tuple(column.name for column in RequestEventRow.__table__.columns)
_JSONB = {
    row.__tablename__: frozenset(c.name for c in row.__table__.columns if isinstance(c.type, JSONB))
    for row in (RequestRow, RequestEventRow)
}
_SELECT_REQUEST = "SELECT " + ", ".join(_REQUEST_COLUMNS) + " FROM requests WHERE id = $1"  # noqa: S608


def _as_sent(table: str, values: dict[str, Any]) -> dict[str, Any]:
    """The values as asyncpg takes them (JSONB as JSON text, as SQLAlchemy sends it)."""
    jsonb = _JSONB[table]
    return {c: json_text(v) if c in jsonb and v is not None else v for c, v in values.items()}


def _arguments(table: str, values: dict[str, Any], columns: Sequence[str]) -> list[Any]:
    """``values`` as sent, in the order of ``columns`` (the fixed statements' parameters)."""
    sent = _as_sent(table, values)
    return [sent[c] for c in columns]


def _columns(values: dict[str, Any], allowed: Sequence[str]) -> tuple[str, ...]:
    """The keys of ``values``, each one a column of the table (identifiers are never input)."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"not columns: {sorted(unknown)}")
    return tuple(values)


class _Statement(NamedTuple):
    """A Core statement compiled once for asyncpg: its text, and where each value goes."""

    text: str
    order: tuple[str, ...]  # the bound names in ``$n`` order
    fixed: dict[str, Any]  # values compiled in (literals, the table's scalar defaults)

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] if name in values else self.fixed[name] for name in self.order]


_ASYNCPG = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]


def _compiled(statement: Any, table: str, columns: tuple[str, ...]) -> _Statement:
    """Compile ``statement`` with the asyncpg dialect for exactly ``columns`` (SQLAlchemy's
    public ``column_keys``); scalar column defaults fill the columns a caller leaves out."""
    compiled = statement.compile(dialect=_ASYNCPG, column_keys=list(columns))
    defaults = {
        c.name: c.default.arg
        for c in Base.metadata.tables[table].columns
        if isinstance(c.default, ColumnDefault) and c.default.is_scalar
    }
    return _Statement(
        compiled.string, tuple(compiled.positiontup or ()), {**compiled.params, **defaults}
    )


@functools.lru_cache(maxsize=128)
def _insert(table: str, columns: tuple[str, ...]) -> _Statement:
    """``INSERT INTO table (columns) ... RETURNING *``, compiled once per column set."""
    target = Base.metadata.tables[table]
    return _compiled(insert(target).returning(*target.columns), table, columns)


@functools.lru_cache(maxsize=128)
def _compare_and_set(columns: tuple[str, ...]) -> _Statement:
    """``UPDATE requests SET version = version + 1, columns ... WHERE id, version and state
    still match RETURNING *``, compiled once per column set."""
    target = Base.metadata.tables["requests"]
    statement = (
        update(target)
        .where(
            target.c.id == bindparam("expected_id"),
            target.c.version == bindparam("expected_version"),
            target.c.state == bindparam("expected_state"),
        )
        .values(version=target.c.version + 1)
        .returning(*target.columns)
    )
    return _compiled(statement, "requests", columns)


def _typed(columns: Sequence[str], table: str, first: int) -> list[str]:
    """Parameters ``$first``, ``$first+1``, ... cast to the columns' types (an INSERT ... SELECT
    does not infer them); rendered once, at import."""
    types = Base.metadata.tables[table].columns
    return [
        f"${n}::{types[name].type.compile(dialect=_ASYNCPG)}"
        for n, name in enumerate(columns, start=first)
    ]


def _published(event: str, payload: int) -> str:
    """The CTE ``published``: the outbox row of the history row ``event`` returned (its id),
    from the payload ``$payload`` with that id; the channel to notify is ``$payload+1``."""
    return (
        "published AS (INSERT INTO outbox (kind, payload) "  # noqa: S608 - rendered at import
        f"SELECT 'event', ${payload}::jsonb || jsonb_build_object('event_id', {event}.id) "
        f"FROM {event} RETURNING payload ->> 'event_id' AS event_id, "
        f"${payload + 1}::text AS channel)"
    )


# Notifies the channel of the outbox row (transactional: listeners hear of it at commit).
_NOTIFIED = "published, LATERAL (SELECT pg_notify(published.channel, published.event_id)) AS n"
# A history row's columns as written by the writers below (its id and chain come from the table).
_ENTRY_COLUMNS = tuple(c for c in _EVENT_COLUMNS if c not in {"id", "request_id", "erased_at"})
_ENTRY_PARAMS = 1 + len(_REQUEST_COLUMNS)

# Filing with ``submit: true`` in one statement: the request as submitted (only while the
# service's current version is still the one it was checked against), its ``filed`` and
# ``submitted`` history rows (the second reads the first, so they are chained in that order),
# the outbox row of ``submitted`` with its history id, and the notification. Parameters: the
# request's columns, the two history rows' columns, the outbox payload, the channel.
_FILE_SUBMITTED = (
    "WITH request AS (INSERT INTO requests ("  # noqa: S608 - fixed text, rendered at import
    + ", ".join(_REQUEST_COLUMNS)
    + ") SELECT "
    + ", ".join(_typed(_REQUEST_COLUMNS, "requests", 1))
    + " FROM services WHERE code = $3::VARCHAR(64) AND current_version = $4::INTEGER RETURNING "
    + ", ".join(_REQUEST_COLUMNS)
    + "), filed AS (INSERT INTO request_events (request_id, "
    + ", ".join(_ENTRY_COLUMNS)
    + ") SELECT request.id, "
    + ", ".join(_typed(_ENTRY_COLUMNS, "request_events", _ENTRY_PARAMS))
    + " FROM request RETURNING request_id), submitted AS (INSERT INTO request_events (request_id, "
    + ", ".join(_ENTRY_COLUMNS)
    + ") SELECT filed.request_id, "
    + ", ".join(_typed(_ENTRY_COLUMNS, "request_events", _ENTRY_PARAMS + len(_ENTRY_COLUMNS)))
    + " FROM filed RETURNING id), "
    + _published("submitted", _ENTRY_PARAMS + 2 * len(_ENTRY_COLUMNS))
    + " SELECT request.* FROM request, "
    + _NOTIFIED
)


# Rows the driver returns become session-less mapped objects (their constructor is the public
# way to build one); nothing adds them to a session.
_Row = TypeVar("_Row", RequestRow, RequestEventRow)


def _loaded(cls: type[_Row], record: Record) -> _Row:
    return cls(**dict(record.items()))


def _request(record: Record) -> RequestRow:
    return _loaded(RequestRow, record)


async def insert_request(session: AsyncSession, values: dict[str, Any]) -> RequestRow:
    statement = _insert("requests", _columns(values, _REQUEST_COLUMNS))
    connection = await driver_connection(session)
    record = await connection.fetchrow(
        statement.text, *statement.arguments(_as_sent("requests", values))
    )
    assert record is not None
    return _request(record)


async def get_request(session: AsyncSession, request_id: UUID) -> RequestRow | None:
    """The current row (fresh from the database, never a stale cached object)."""
    connection = await driver_connection(session)
    record = await connection.fetchrow(_SELECT_REQUEST, request_id)
    return None if record is None else _request(record)


class AccessEntry(NamedTuple):
    """A read to record in the access log: who (staff member or API client), what, in which
    role. ``kind`` ``client`` is not recorded when the client filed the request itself."""

    actor_id: UUID
    action: str
    kind: str
    role: str | None


# The request if the caller may see it (VISIBLE_SQL, $2-$7) and, in the same statement, the
# access-log row of that read ($8-$11; none when $9 is NULL or a client reads its own filing).
_READ_VISIBLE = (
    "WITH r AS (SELECT "  # noqa: S608 - fixed text: the column list and the rule are constants
    + ", ".join(_REQUEST_COLUMNS)
    + " FROM requests WHERE id = $1 AND "
    + VISIBLE_SQL
    + "), logged AS (INSERT INTO request_access_log "
    "(request_id, staff_id, action, actor_kind, actor_role) "
    "SELECT id, $8::uuid, $9::text, $10::text, $11::text FROM r WHERE $9::text IS NOT NULL "
    "AND NOT coalesce($10::text = 'client' AND filed_by_kind = 'client' "
    "AND filed_by_id = $8::uuid, false)) "
    "SELECT * FROM r"
)


async def get_visible_request(
    session: AsyncSession,
    request_id: UUID,
    visibility: Visibility,
    entry: AccessEntry | None,
    *,
    alone: bool,
) -> RequestRow | None:
    """The request if ``visibility`` admits it, its read recorded in the access log (one
    statement; each log row locks its request's chain head, core.audit).

    ``alone``: the caller only reads after this, so the statement is sent with
    ``single_statement`` (as the scope's first statement it commits on its own, without
    ``BEGIN``/``COMMIT``); otherwise it runs in the scope's transaction.
    """
    log: tuple[object, ...] = (None, None, None, None) if entry is None else tuple(entry)
    connect = single_statement if alone else driver_connection
    connection = await connect(session)
    record = await connection.fetchrow(_READ_VISIBLE, request_id, *visibility.sql_arguments(), *log)
    return None if record is None else _request(record)


async def compare_and_set(
    session: AsyncSession,
    request_id: UUID,
    *,
    version: int,
    state: str,
    values: dict[str, Any],
) -> RequestRow | None:
    """One UPDATE ... WHERE id, version and state still match; None when someone else won."""
    statement = _compare_and_set(_columns(values, _REQUEST_COLUMNS))
    arguments = {
        **_as_sent("requests", values),
        "expected_id": request_id,
        "expected_version": version,
        "expected_state": state,
    }
    connection = await driver_connection(session)
    record = await connection.fetchrow(statement.text, *statement.arguments(arguments))
    return None if record is None else _request(record)


async def insert_event(session: AsyncSession, values: dict[str, Any]) -> RequestEventRow:
    statement = _insert("request_events", _columns(values, _EVENT_COLUMNS))
    connection = await driver_connection(session)
    record = await connection.fetchrow(
        statement.text, *statement.arguments(_as_sent("request_events", values))
    )
    assert record is not None
    return _loaded(RequestEventRow, record)


async def list_events(
    session: AsyncSession,
    request_id: UUID,
    *,
    after_id: int | None,
    limit: int,
    public_only: bool,
) -> list[RequestEventRow]:
    """One page of the history, oldest first (``limit`` rows; ask for one more to peek)."""
    query = select(RequestEventRow).where(RequestEventRow.request_id == request_id)
    if public_only:
        query = query.where(RequestEventRow.visibility == "public")
    if after_id is not None:
        query = query.where(RequestEventRow.id > after_id)
    return list(await session.scalars(query.order_by(RequestEventRow.id).limit(limit)))


async def delete_timers(session: AsyncSession, request_id: UUID) -> None:
    await session.execute(delete(RequestTimerRow).where(RequestTimerRow.request_id == request_id))


async def insert_timer(
    session: AsyncSession, request_id: UUID, *, state: str, transition: str, seconds: int
) -> None:
    await session.execute(
        insert(RequestTimerRow).values(
            request_id=request_id,
            state=state,
            transition=transition,
            due_at=func.now() + timedelta(seconds=seconds),
        )
    )


async def claim_due_timer(session: AsyncSession) -> RequestTimerRow | None:
    """Lock the most overdue timer no other worker holds (FOR UPDATE SKIP LOCKED)."""
    row: RequestTimerRow | None = await session.scalar(
        select(RequestTimerRow)
        .where(RequestTimerRow.due_at <= func.now())
        .order_by(RequestTimerRow.due_at, RequestTimerRow.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return row


async def postpone_timer(session: AsyncSession, timer_id: int, seconds: int) -> None:
    await session.execute(
        update(RequestTimerRow)
        .where(RequestTimerRow.id == timer_id)
        .values(due_at=func.now() + timedelta(seconds=seconds))
    )


async def delete_timer(session: AsyncSession, timer_id: int) -> None:
    await session.execute(delete(RequestTimerRow).where(RequestTimerRow.id == timer_id))


async def claim_overdue(session: AsyncSession, limit: int) -> list[RequestRow]:
    """Mark up to ``limit`` requests whose deadline passed as overdue, once each; return them."""
    pending = (
        select(RequestRow.id)
        .where(
            text(OPEN_CONDITION),
            RequestRow.sla_state == "runs",
            RequestRow.overdue_at.is_(None),
            RequestRow.due_at < func.now(),
        )
        .order_by(RequestRow.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = await session.scalars(
        update(RequestRow)
        .where(RequestRow.id.in_(pending), RequestRow.overdue_at.is_(None))
        .values(overdue_at=func.now())
        .returning(RequestRow)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return list(rows)


_LOG_ACCESS = (
    "INSERT INTO request_access_log (request_id, staff_id, action, actor_kind, actor_role) "
    "SELECT unnest($1::uuid[]), $2, $3, $4, $5"
)


async def log_access(
    session: AsyncSession,
    staff_id: UUID,
    request_ids: Sequence[UUID],
    action: str,
    *,
    kind: str = "staff",
    role: str | None = None,
) -> None:
    """Record that a staff member (or an API client, ``kind``) read these requests' personal
    data, in the role they acted in (one statement)."""
    if not request_ids:
        return
    # One INSERT ... SELECT unnest(...) for a whole page: an executemany costs a Bind/Execute
    # per row (bench/README.md). Each row locks its request's access-log chain head
    # (core.audit): in id order, so two pages never lock heads in opposite orders.
    connection = await driver_connection(session)
    await connection.execute(_LOG_ACCESS, sorted(request_ids), staff_id, action, kind, role)


async def access_entries(session: AsyncSession, request_id: UUID) -> list[RequestAccessRow]:
    """Every recorded read of a request, oldest first."""
    rows = await session.scalars(
        select(RequestAccessRow)
        .where(RequestAccessRow.request_id == request_id)
        .order_by(RequestAccessRow.accessed_at, RequestAccessRow.id)
    )
    return list(rows)


async def changes_by_others(session: AsyncSession, request_id: UUID) -> list[RequestEventRow]:
    """History entries written by staff or API clients, oldest first."""
    rows = await session.scalars(
        select(RequestEventRow)
        .where(
            RequestEventRow.request_id == request_id,
            RequestEventRow.actor_kind.in_(("staff", "client")),
        )
        .order_by(RequestEventRow.id)
    )
    return list(rows)


# The columns a workflow decision may change (transitions.decision_values); each is set only
# when its flag parameter is true, so one fixed statement serves every decision.
DECISION_COLUMNS = (
    "state",
    "updated_at",
    "submitted_at",
    "due_at",
    "sla_state",
    "sla_paused_at",
    "closed_at",
    "retention_until",
)
_DECISION_TYPES = Base.metadata.tables["requests"].columns


def _set_if(index: int, name: str) -> str:
    """``name`` set to parameter ``$(5+2i)`` when flag ``$(4+2i)`` is true (rendered at import)."""
    flag, value = 4 + 2 * index, 5 + 2 * index
    kind = _DECISION_TYPES[name].type.compile(dialect=_ASYNCPG)
    return f"{name} = CASE WHEN ${flag}::boolean THEN ${value}::{kind} ELSE {name} END"


_MOVE_ENTRY = 4 + 2 * len(DECISION_COLUMNS)  # the history row's first parameter

# A transition in one statement: the compare-and-set on (id, version, state) setting the
# decision's columns, its history row, the row's outbox event and the notification; no row
# when another change won (then nothing is written). Parameters: id, version, state, a flag and
# a value per DECISION_COLUMNS, the history row's columns, the outbox payload, the channel.
_MOVE = (
    "WITH moved AS (UPDATE requests SET version = version + 1, "  # noqa: S608 - rendered at import
    + ", ".join(_set_if(i, name) for i, name in enumerate(DECISION_COLUMNS))
    + " WHERE id = $1 AND version = $2 AND state = $3 RETURNING "
    + ", ".join(_REQUEST_COLUMNS)
    + "), event AS (INSERT INTO request_events (request_id, "
    + ", ".join(_ENTRY_COLUMNS)
    + ") SELECT moved.id, "
    + ", ".join(_typed(_ENTRY_COLUMNS, "request_events", _MOVE_ENTRY))
    + " FROM moved RETURNING id), "
    + _published("event", _MOVE_ENTRY + len(_ENTRY_COLUMNS))
    + " SELECT moved.* FROM moved, "
    + _NOTIFIED
)


def after_change(row: RequestRow, values: dict[str, Any]) -> RequestRow:
    """``row`` as a compare-and-set with ``values`` leaves it (a new, session-less object)."""
    current = {name: getattr(row, name) for name in _REQUEST_COLUMNS}
    return RequestRow(**{**current, **values, "version": row.version + 1})


async def move(  # noqa: PLR0917 - the parts of one statement
    session: AsyncSession,
    row: RequestRow,
    values: dict[str, Any],
    entry: dict[str, Any],
    payload: str,
    channel: str,
) -> RequestRow | None:
    """Compare-and-set ``row`` (as read) to ``values`` (DECISION_COLUMNS only), append the
    history row ``entry`` and its outbox event (``payload`` with the row's id), notify
    ``channel``: one statement. None when another change won."""
    unknown = set(values) - set(DECISION_COLUMNS)
    if unknown:
        raise ValueError(f"not decision columns: {sorted(unknown)}")
    changes = _arguments(
        "requests", {name: values.get(name) for name in DECISION_COLUMNS}, list(DECISION_COLUMNS)
    )
    flagged = [
        item
        for name, value in zip(DECISION_COLUMNS, changes, strict=True)
        for item in (name in values, value)
    ]
    connection = await driver_connection(session)
    record = await connection.fetchrow(
        _MOVE,
        row.id,
        row.version,
        row.state,
        *flagged,
        *_entry_arguments([entry[name] for name in _ENTRY_COLUMNS]),
        payload,
        channel,
    )
    return None if record is None else _request(record)


async def file_submitted(  # noqa: PLR0917 - the rows of one statement
    session: AsyncSession,
    values: dict[str, Any],
    filed: dict[str, Any],
    submitted: dict[str, Any],
    payload: str,
    channel: str,
    *,
    alone: bool,
) -> RequestRow | None:
    """Insert a request as submitted, its ``filed`` and ``submitted`` history rows and the
    outbox row of the second (``payload`` with its id), and notify ``channel``: one statement.

    ``values`` must name the service's current version; None (nothing written) when another
    version has become current since. ``alone``: the caller writes nothing after it (see
    ``core.transaction.single_statement``).
    """
    request = {name: values.get(name) for name in _REQUEST_COLUMNS}
    entries = [entry[name] for entry in (filed, submitted) for name in _ENTRY_COLUMNS]
    connection = await (single_statement if alone else driver_connection)(session)
    record = await connection.fetchrow(
        _FILE_SUBMITTED,
        *_arguments("requests", request, list(_REQUEST_COLUMNS)),
        *_entry_arguments(entries),
        payload,
        channel,
    )
    return None if record is None else _request(record)


def _entry_arguments(values: list[Any]) -> list[Any]:
    """History rows' values as asyncpg takes them (their ``data`` as JSON text)."""
    return [json_text(v) if isinstance(v, dict) else v for v in values]
