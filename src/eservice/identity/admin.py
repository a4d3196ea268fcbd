"""What admins do with accounts and API clients (the rules; routes stay thin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.audit import record_admin_action
from eservice.core.config import Settings
from eservice.core.errors import BadRequest, NotFound
from eservice.core.pagination import (
    Page,
    TimeAndId,
    check_limit,
    created_key,
    cut_page,
    decode_cursor,
)
from eservice.identity import repository, service
from eservice.identity.me import account_of, client_of
from eservice.identity.schemas import (
    AccountOut,
    ClientCreatedOut,
    ClientCreateIn,
    ClientOut,
    StaffCreateIn,
    StaffUpdateIn,
)


def _after(cursor: str | None) -> tuple[datetime, UUID] | None:
    key = decode_cursor(cursor, TimeAndId)
    return None if key is None else (key.at, key.id)


async def _audit(
    session: AsyncSession, actor_id: UUID | None, action: str, target: UUID, **details: Any
) -> None:
    await record_admin_action(
        session,
        actor_kind="staff" if actor_id is not None else "operator",
        actor_id=actor_id,
        action=action,
        target=str(target),
        details=details,
    )


async def create_staff(
    session: AsyncSession, settings: Settings, data: StaffCreateIn, actor_id: UUID | None = None
) -> AccountOut:
    row = await service.create_staff(
        session,
        settings,
        email=data.email,
        password=data.password,
        roles=data.roles,
        departments=data.departments,
        display_name=data.display_name,
        locale=data.locale,
    )
    await _audit(
        session,
        actor_id,
        "staff.created",
        row.id,
        roles=sorted(row.roles),
        departments=sorted(row.departments),
    )
    return account_of(row)


async def list_accounts(
    session: AsyncSession,
    kind: Literal["staff", "citizen"],
    limit: int | None,
    cursor: str | None,
) -> Page[AccountOut]:
    size = check_limit(limit)
    rows = await repository.list_users(session, kind, _after(cursor), size)
    page, next_cursor = cut_page(rows, size, created_key)
    return Page(items=[account_of(r) for r in page], next_cursor=next_cursor)


async def get_account(session: AsyncSession, user_id: UUID) -> AccountOut:
    row = await repository.get_user(session, user_id)
    if row is None:
        raise NotFound("No such account.")
    return account_of(row)


async def update_account(
    session: AsyncSession, user_id: UUID, data: StaffUpdateIn, actor_id: UUID | None = None
) -> AccountOut:
    """Change roles, departments, name or active flag; the account's sessions end with it."""
    row = await repository.get_user(session, user_id)
    if row is None:
        raise NotFound("No such account.")
    values: dict[str, Any] = {}
    if row.kind == "staff":
        departments = (
            row.departments
            if data.departments is msgspec.UNSET
            else service.checked_departments(data.departments)
        )
        roles = row.roles if data.roles is msgspec.UNSET else data.roles
        values["roles"] = service.checked_staff_roles(roles, departments)
        values["departments"] = departments
    elif data.roles is not msgspec.UNSET or data.departments is not msgspec.UNSET:
        raise BadRequest("Roles and departments apply to staff accounts only.")
    if data.display_name is not msgspec.UNSET:
        values["display_name"] = data.display_name.strip() or row.display_name
    if data.active is not msgspec.UNSET:
        values["is_active"] = data.active
    updated = await repository.update_user(session, user_id, values)
    if updated is None:
        raise NotFound("No such account.")
    # Refresh tokens carry the old roles' session; the access tokens expire within minutes.
    await repository.revoke_user_refresh_tokens(session, user_id)
    await _audit(
        session,
        actor_id,
        "account.changed",
        user_id,
        fields=sorted(values),
        roles=sorted(updated.roles),
        departments=sorted(updated.departments),
        active=updated.is_active,
    )
    return account_of(updated)


async def create_client(
    session: AsyncSession, settings: Settings, data: ClientCreateIn, actor_id: UUID | None = None
) -> ClientCreatedOut:
    row, secret = await service.create_api_client(
        session, settings, name=data.name, scopes=data.scopes, services=data.services
    )
    await _audit(session, actor_id, "client.created", row.id, scopes=sorted(row.scopes))
    return ClientCreatedOut(
        id=row.id,
        client_id=row.client_id,
        client_secret=secret,
        name=row.name,
        scopes=sorted(row.scopes),
        services=None if row.services is None else sorted(row.services),
    )


async def list_clients(
    session: AsyncSession, limit: int | None, cursor: str | None
) -> Page[ClientOut]:
    size = check_limit(limit)
    rows = await repository.list_clients(session, _after(cursor), size)
    page, next_cursor = cut_page(rows, size, created_key)
    return Page(items=[client_of(r) for r in page], next_cursor=next_cursor)


async def deactivate_client(
    session: AsyncSession, row_id: UUID, actor_id: UUID | None = None
) -> None:
    if not await repository.deactivate_client(session, row_id):
        raise NotFound("No such API client.")
    await _audit(session, actor_id, "client.deactivated", row_id)
