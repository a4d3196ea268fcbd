"""What ``/me`` and the admin API show of accounts and clients."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.errors import Unauthorized
from eservice.identity import repository
from eservice.identity.principal import Principal
from eservice.identity.schemas import AccountOut, ClientMeOut, ClientOut
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
