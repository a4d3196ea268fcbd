"""What the identity context exports and forgets: an account, its tokens."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.identity import repository, sessions_repository
from eservice.identity.tables import UserRow

# The tables whose rows about a person this context removes (see eservice.privacy.registry and
# its schema test). Tokens and browser sessions go with their account (ON DELETE CASCADE).
FORGETS = frozenset({"users", "refresh_tokens", "account_tokens", "web_sessions"})


def export_account(row: UserRow) -> dict[str, Any]:
    """The account as stored (Art. 15 export); never the password hash."""
    return {
        "id": str(row.id),
        "kind": row.kind,
        "email": row.email,
        "display_name": row.display_name,
        "locale": row.locale,
        "roles": sorted(row.roles),
        "departments": sorted(row.departments),
        "email_verified_at": None
        if row.email_verified_at is None
        else row.email_verified_at.isoformat(),
        "active": row.is_active,
        "external_issuer": row.external_issuer,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


async def forget_account(session: AsyncSession, user_id: UUID) -> None:
    """Revoke every refresh token and delete the account with its tokens: logging in fails,
    and the address is free for a new registration."""
    await repository.revoke_user_refresh_tokens(session, user_id)
    await sessions_repository.delete_user_sessions(session, user_id)  # every browser logged out
    await repository.delete_user(session, user_id)
