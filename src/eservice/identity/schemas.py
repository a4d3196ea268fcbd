"""Structs at the edge of the identity context."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from eservice.identity.principal import Scope

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Locale = Literal["de", "en"]
StaffRole = Literal["clerk", "supervisor", "admin"]
Department = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ScopeName = Annotated[
    str,
    msgspec.Meta(min_length=3, max_length=64, description="one of: " + ", ".join(Scope)),
]
ServiceCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
OpaqueToken = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class RegisterIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: Password
    display_name: DisplayName
    locale: Locale = "de"


class AccountOut(msgspec.Struct, kw_only=True):
    """An account as its owner (``/me``) and admins see it."""

    id: UUID
    kind: str
    email: str | None
    display_name: str
    roles: list[str]
    departments: list[str]
    locale: str
    email_verified: bool
    active: bool
    created_at: datetime


class ClientMeOut(msgspec.Struct, kw_only=True):
    """``/me`` for an API client."""

    kind: str
    client_id: str
    name: str
    scopes: list[str]
    services: list[str] | None


class TokenOut(msgspec.Struct, kw_only=True):
    """RFC 6749 §5.1 access token response."""

    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - RFC 6749 token type
    refresh_token: str | msgspec.UnsetType = msgspec.UNSET
    scope: str | msgspec.UnsetType = msgspec.UNSET


class VerifyEmailIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: OpaqueToken


class PasswordResetIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email


class PasswordResetConfirmIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: OpaqueToken
    password: Password


class StatusOut(msgspec.Struct, kw_only=True):
    status: str
    detail: str | None = None


# Admin ------------------------------------------------------------------------------------


class StaffCreateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: Password
    roles: Annotated[list[StaffRole], msgspec.Meta(min_length=1, max_length=3)]
    departments: Annotated[list[Department], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    display_name: DisplayName | None = None
    locale: Locale = "de"


class AccountPatchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a person corrects about themselves (GDPR Art. 16); a new email is verified again."""

    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    locale: Locale | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET


class StaffUpdateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    roles: (
        Annotated[list[StaffRole], msgspec.Meta(min_length=1, max_length=3)] | msgspec.UnsetType
    ) = msgspec.UNSET
    departments: Annotated[list[Department], msgspec.Meta(max_length=50)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class ClientCreateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: DisplayName
    scopes: Annotated[list[ScopeName], msgspec.Meta(min_length=1, max_length=50)]
    services: Annotated[list[ServiceCode], msgspec.Meta(max_length=200)] | None = None


class ClientOut(msgspec.Struct, kw_only=True):
    id: UUID
    client_id: str
    name: str
    scopes: list[str]
    services: list[str] | None
    active: bool
    created_at: datetime


class ClientCreatedOut(msgspec.Struct, kw_only=True):
    """A new client: the secret is shown this once."""

    id: UUID
    client_id: str
    client_secret: str
    name: str
    scopes: list[str]
    services: list[str] | None
