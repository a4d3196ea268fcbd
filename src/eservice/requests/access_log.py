"""What the applicant sees of who read or changed their request (never staff names).

Each staff read (the access log) and each change by staff or an API client (the history)
becomes an entry: when, which department and role, or which API client. Reads and changes of
the same person following each other within ``FOLD_WINDOW`` are folded into one entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.errors import Forbidden
from eservice.identity.principal import Principal
from eservice.identity.repository import get_client
from eservice.requests import repository
from eservice.requests.access import is_applicant
from eservice.requests.tables import RequestRow

FOLD_WINDOW = timedelta(minutes=10)
Activity = Literal["read", "changed"]


class AccessEntryOut(msgspec.Struct, kw_only=True):
    """Who (department and role, or API client) read or changed the request, and when."""

    first_at: datetime
    last_at: datetime
    count: int
    activity: Activity
    actor: Literal["staff", "client"]
    department: str | None = None
    role: str | None = None
    client: str | None = None
    actions: list[str]


class _Seen(msgspec.Struct, kw_only=True):
    at: datetime
    who: UUID
    kind: Literal["staff", "client"]
    role: str | None
    activity: Activity
    action: str


def _fold(seen: list[_Seen], department: str, clients: dict[UUID, str]) -> list[AccessEntryOut]:
    entries: list[AccessEntryOut] = []
    last: tuple[UUID, Activity, str | None] | None = None
    for item in sorted(seen, key=lambda s: s.at):
        key = (item.who, item.activity, item.role)
        current = entries[-1] if entries else None
        if current is not None and key == last and item.at - current.last_at <= FOLD_WINDOW:
            current.last_at = item.at
            current.count += 1
            if item.action not in current.actions:
                current.actions.append(item.action)
            continue
        entries.append(
            AccessEntryOut(
                first_at=item.at,
                last_at=item.at,
                count=1,
                activity=item.activity,
                actor=item.kind,
                department=department if item.kind == "staff" else None,
                role=(item.role or "staff") if item.kind == "staff" else None,
                client=clients.get(item.who) if item.kind == "client" else None,
                actions=[item.action],
            )
        )
        last = key
    return entries


async def access_log_for(
    session: AsyncSession, principal: Principal, row: RequestRow
) -> list[AccessEntryOut]:
    """The folded access log of a request the caller may see, newest first; applicant only."""
    if not is_applicant(principal, row):
        raise Forbidden("Only the applicant sees who read or changed this request.")
    seen = [
        _Seen(
            at=read.accessed_at,
            who=read.staff_id,
            kind="client" if read.actor_kind == "client" else "staff",
            role=read.actor_role,
            activity="read",
            action=read.action,
        )
        for read in await repository.access_entries(session, row.id)
    ]
    seen += [
        _Seen(
            at=event.occurred_at,
            who=event.actor_id or UUID(int=0),
            kind="client" if event.actor_kind == "client" else "staff",
            role=event.actor_role,
            activity="changed",
            action=event.transition or event.type,
        )
        for event in await repository.changes_by_others(session, row.id)
    ]
    clients: dict[UUID, str] = {}
    for item in seen:
        if item.kind == "client" and item.who not in clients:
            client = await get_client(session, item.who)
            clients[item.who] = client.name if client is not None else "API client"
    return list(reversed(_fold(seen, row.department, clients)))
