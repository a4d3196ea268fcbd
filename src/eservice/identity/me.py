"""What ``/me`` and the admin API show of accounts and clients."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.errors import Conflict, Forbidden, Unauthorized
from eservice.identity import repository
from eservice.identity.principal import Principal
from eservice.identity.recovery import send_verification
from eservice.identity.schemas import AccountOut, AccountPatchIn, ClientMeOut, ClientOut
from eservice.identity.service import checked_email
from eservice.identity.tables import ApiClientRow, UserRow


def account_of(row: UserRow) -> AccountOut:
    return AccountOut(
        id=row.id,
        kind=row.kind,
        email=row.email,
        display_name=row.display_name,
        roles=sorted(row.roles),
        departments=sorted(row.departments),
        locale=row.locale,
        email_verified=row.email_verified_at is not None,
        active=row.is_active,
        created_at=row.created_at,
    )


def client_of(row: ApiClientRow) -> ClientOut:
    return ClientOut(
        id=row.id,
        client_id=row.client_id,
        name=row.name,
        scopes=sorted(row.scopes),
        services=None if row.services is None else sorted(row.services),
        active=row.is_active,
        created_at=row.created_at,
    )


async def describe(session: AsyncSession, principal: Principal) -> AccountOut | ClientMeOut:
    """The caller's own account (or API client), fresh from the database."""
    if principal.is_client:
        client = await repository.get_client(session, principal.id)
        if client is None or not client.is_active:
            raise Unauthorized()
        return ClientMeOut(
            kind="client",
            client_id=client.client_id,
            name=client.name,
            scopes=sorted(principal.scopes),
            services=None if principal.services is None else sorted(principal.services),
        )
    user = await repository.get_user(session, principal.id)
    if user is None or not user.is_active:
        raise Unauthorized()
    return account_of(user)


async def update_own_account(
    session: AsyncSession, principal: Principal, data: AccountPatchIn
) -> AccountOut:
    """Correct one's display name, language or email; a changed email must be verified again
    (a code goes to the new address; until then the account counts as unverified)."""
    if principal.is_client:
        raise Forbidden("API clients have no account to change here.")
    user = await repository.get_user(session, principal.id)
    if user is None or not user.is_active:
        raise Unauthorized()
    values: dict[str, Any] = {}
    if data.display_name is not UNSET:
        values["display_name"] = data.display_name
    if data.locale is not UNSET:
        values["locale"] = data.locale
    new_email = None
    if data.email is not UNSET:
        new_email = checked_email(data.email)
        if user.external_issuer is not None or not principal.is_citizen:
            raise Forbidden("This account's email address is managed elsewhere.")
        if new_email != user.email:
            if await repository.get_local_user_by_email(session, new_email) is not None:
                raise Conflict("An account with this email address already exists.")
            values.update(email=new_email, email_verified_at=None)
    if not values:
        return account_of(user)
    updated = await repository.update_user(session, user.id, values)
    if updated is None:
        raise Unauthorized()
    if "email" in values:
        await send_verification(session, updated)
    return account_of(updated)
