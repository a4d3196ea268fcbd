"""All SQL of the catalogue context."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import case, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from eservice.catalog.tables import (
    DepartmentRow,
    ServiceRow,
    ServiceVersionRow,
    WorkflowVersionRow,
)
from eservice.core.transaction import driver_connection

# Serialises catalogue loads (e.g. two processes starting at once); released at commit.
_LOAD_LOCK_KEY = 0x65736572_63617400  # "esercat\0"


class VersionRef(NamedTuple):
    """Which version a lookup found, with the digests that key the in-process caches."""

    version: int
    digest: str
    workflow_name: str
    workflow_version: int
    workflow_digest: str


# The columns of a VersionRef, and the join from a service version to its workflow version.
_VERSION_REF = (
    ServiceVersionRow.version,
    ServiceVersionRow.digest,
    ServiceVersionRow.workflow_name,
    ServiceVersionRow.workflow_version,
    WorkflowVersionRow.digest,
)
_ITS_WORKFLOW = (WorkflowVersionRow.name == ServiceVersionRow.workflow_name) & (
    WorkflowVersionRow.version == ServiceVersionRow.workflow_version
)


async def lock_for_load(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOAD_LOCK_KEY})


async def upsert_department(session: AsyncSession, code: str, name_de: str, name_en: str) -> None:
    statement = insert(DepartmentRow).values(code=code, name_de=name_de, name_en=name_en)
    statement = statement.on_conflict_do_update(
        index_elements=[DepartmentRow.code],
        set_={"name_de": name_de, "name_en": name_en, "updated_at": func.now()},
        where=(DepartmentRow.name_de != name_de) | (DepartmentRow.name_en != name_en),
    )
    await session.execute(statement)


async def workflow_digests(session: AsyncSession) -> dict[tuple[str, int], str]:
    rows = await session.execute(
        select(WorkflowVersionRow.name, WorkflowVersionRow.version, WorkflowVersionRow.digest)
    )
    return {(name, version): digest for name, version, digest in rows}


async def service_digests(session: AsyncSession) -> dict[tuple[str, int], str]:
    rows = await session.execute(
        select(ServiceVersionRow.code, ServiceVersionRow.version, ServiceVersionRow.digest)
    )
    return {(code, version): digest for code, version, digest in rows}


async def insert_workflow_version(
    session: AsyncSession, name: str, version: int, definition: dict[str, Any], digest: str
) -> None:
    session.add(
        WorkflowVersionRow(name=name, version=version, definition=definition, digest=digest)
    )
    await session.flush()


async def insert_service_version(
    session: AsyncSession,
    *,
    code: str,
    version: int,
    department: str,
    public: bool,
    workflow: tuple[str, int],
    definition: dict[str, Any],
    digest: str,
) -> None:
    """Write a new published version; the family's current version moves up to it."""
    family = insert(ServiceRow).values(
        code=code, current_version=version, department=department, public=public
    )
    newer = family.excluded.current_version >= ServiceRow.current_version
    family = family.on_conflict_do_update(
        index_elements=[ServiceRow.code],
        set_={
            "current_version": func.greatest(
                ServiceRow.current_version, family.excluded.current_version
            ),
            "department": case((newer, family.excluded.department), else_=ServiceRow.department),
            "public": case((newer, family.excluded.public), else_=ServiceRow.public),
            "updated_at": func.now(),
        },
    )
    await session.execute(family)
    session.add(
        ServiceVersionRow(
            code=code,
            version=version,
            department=department,
            workflow_name=workflow[0],
            workflow_version=workflow[1],
            definition=definition,
            digest=digest,
        )
    )
    await session.flush()


async def current_version_number(session: AsyncSession, code: str) -> int | None:
    """The number of a service's current version (None for an unknown code); hot path."""
    connection = await driver_connection(session)
    found: int | None = await connection.fetchval(
        "SELECT current_version FROM services WHERE code = $1", code
    )
    return found


async def find_service_version(
    session: AsyncSession, code: str, version: int | None
) -> VersionRef | None:
    """The given (or, when None, the current) version of a service, without its definition."""
    wanted = (
        select(ServiceRow.current_version).where(ServiceRow.code == code).scalar_subquery()
        if version is None
        else version
    )
    row = (
        await session.execute(
            select(*_VERSION_REF)
            .join(WorkflowVersionRow, _ITS_WORKFLOW)
            .where(ServiceVersionRow.code == code, ServiceVersionRow.version == wanted)
        )
    ).one_or_none()
    return None if row is None else VersionRef(*row)


async def current_service_versions(
    session: AsyncSession, *, after: str | None, limit: int, public_only: bool = False
) -> list[tuple[str, VersionRef]]:
    """The current version of each service, ordered by code, after the code ``after``."""
    query = (
        select(ServiceVersionRow.code, *_VERSION_REF)
        .join(
            ServiceRow,
            (ServiceRow.code == ServiceVersionRow.code)
            & (ServiceRow.current_version == ServiceVersionRow.version),
        )
        .join(WorkflowVersionRow, _ITS_WORKFLOW)
        .order_by(ServiceVersionRow.code)
        .limit(limit)
    )
    if after is not None:
        query = query.where(ServiceVersionRow.code > after)
    if public_only:
        query = query.where(ServiceRow.public.is_(True))
    rows = await session.execute(query)
    return [(row[0], VersionRef(*row[1:])) for row in rows]


async def service_definitions(
    session: AsyncSession, keys: list[tuple[str, int]]
) -> dict[tuple[str, int], dict[str, Any]]:
    """Stored definitions of the given service versions, in one query."""
    table = ServiceVersionRow
    return await _definitions(session, table.code, table.version, table.definition, keys)


async def workflow_definitions(
    session: AsyncSession, keys: list[tuple[str, int]]
) -> dict[tuple[str, int], dict[str, Any]]:
    """Stored definitions of the given workflow versions, in one query."""
    table = WorkflowVersionRow
    return await _definitions(session, table.name, table.version, table.definition, keys)


async def _definitions(
    session: AsyncSession,
    name: InstrumentedAttribute[str],
    version: InstrumentedAttribute[int],
    definition: InstrumentedAttribute[dict[str, Any]],
    keys: list[tuple[str, int]],
) -> dict[tuple[str, int], dict[str, Any]]:
    if not keys:
        return {}
    rows = await session.execute(
        select(name, version, definition).where(tuple_(name, version).in_(keys))
    )
    return {(n, v): d for n, v, d in rows}


async def find_workflow_version(
    session: AsyncSession, name: str, version: int | None
) -> tuple[int, str] | None:
    """(version, digest) of the given or, when None, the newest version of a workflow."""
    query = select(WorkflowVersionRow.version, WorkflowVersionRow.digest).where(
        WorkflowVersionRow.name == name
    )
    if version is None:
        query = query.order_by(WorkflowVersionRow.version.desc()).limit(1)
    else:
        query = query.where(WorkflowVersionRow.version == version)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def department_names(session: AsyncSession) -> dict[str, tuple[str, str]]:
    """Every department: code → (German name, English name)."""
    rows = await session.execute(
        select(DepartmentRow.code, DepartmentRow.name_de, DepartmentRow.name_en)
    )
    return {code: (de, en) for code, de, en in rows}
