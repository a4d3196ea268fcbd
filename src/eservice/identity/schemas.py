"""Structs at the edge of the identity context."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

import msgspec

from eservice.identity.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from eservice.identity.principal import Scope

# The formats the service checks by hand (identity/service.py compiles these very patterns):
# the API and the CLI share those checks and their bilingual messages, and the OpenAPI
# document states them through ``extra_json_schema``.
# ``\x85`` and ``\ufeff`` are spelled out: Python's ``\s`` has the one, JSON Schema's
# (ECMA 262) the other, and the pattern must mean the same to the server and to clients.
EMAIL_PATTERN = (
    r"^[^@\s\x00-\x1f\x85\ufeff]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$"
)
DEPARTMENT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
SCOPE_PATTERN = r"^[a-z][a-z_]*:[a-z][a-z_]*$"
SERVICE_CODE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"

Email = Annotated[
    str, msgspec.Meta(min_length=3, max_length=254, extra_json_schema={"pattern": EMAIL_PATTERN})
]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
NewPassword = Annotated[
    str,
    msgspec.Meta(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        extra_json_schema={
            "description": (
                f"At least {MIN_PASSWORD_LENGTH} characters, at least 4 different ones, not a "
                "well-known password and not the email address (else 422 at /password)."
            ),
        },
    ),
]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Locale = Literal["de", "en"]
StaffRole = Literal["clerk", "supervisor", "admin"]
Department = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=64, extra_json_schema={"pattern": DEPARTMENT_PATTERN}),
]
ScopeName = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=64,
        description="one of: " + ", ".join(Scope),
        extra_json_schema={"pattern": SCOPE_PATTERN},
    ),
]
ServiceCode = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=64, extra_json_schema={"pattern": SERVICE_CODE_PATTERN}),
]
OpaqueToken = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=512,
        extra_json_schema={"description": "The token from the email (else 422 at /token)."},
    ),
]


class RegisterIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: NewPassword
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
    password: NewPassword


class StatusOut(msgspec.Struct, kw_only=True):
    status: str
    detail: str | None = None


# Admin ------------------------------------------------------------------------------------


# Clerks and supervisors work for departments (identity.service.checked_staff_roles).
NEED_A_DEPARTMENT: dict[str, Any] = {
    "if": {
        "properties": {"roles": {"contains": {"enum": ["clerk", "supervisor"]}}},
        "required": ["roles"],
    },
    "then": {"properties": {"departments": {"minItems": 1}}, "required": ["departments"]},
}


class StaffCreateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A staff account; clerks and supervisors need at least one department."""

    json_schema_extra: ClassVar[dict[str, Any]] = NEED_A_DEPARTMENT

    email: Email
    password: NewPassword
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
