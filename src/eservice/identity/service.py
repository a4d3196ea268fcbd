"""Accounts and API clients: creating them, checking credentials, turning them into principals."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.core.errors import Conflict, FieldError, ValidationFailed
from eservice.core.pointers import json_pointer
from eservice.identity import repository
from eservice.identity.passwords import (
    hash_secret,
    needs_rehash,
    password_problems,
    verify_secret,
)
from eservice.identity.principal import STAFF_ROLES, Principal, Scope
from eservice.identity.schemas import (
    DEPARTMENT_PATTERN,
    EMAIL_PATTERN,
    SCOPE_PATTERN,
    SERVICE_CODE_PATTERN,
)
from eservice.identity.tables import ApiClientRow, UserRow
from eservice.identity.tokens import new_opaque_token, opaque_token_hash

EMAIL_RE = re.compile(EMAIL_PATTERN)
DEPARTMENT_RE = re.compile(DEPARTMENT_PATTERN)
SCOPE_RE = re.compile(SCOPE_PATTERN)
SERVICE_CODE_RE = re.compile(SERVICE_CODE_PATTERN)
CLIENT_ID_PREFIX = "cl_"
CLIENT_SECRET_PREFIX = "cs_"  # noqa: S105 - a prefix, not a secret


def normalise_email(email: str) -> str:
    return email.strip().lower()


def checked_email(email: str, pointer: str = "/email") -> str:
    """The normalised email, or 422 pointing at it."""
    normalised = normalise_email(email)
    if len(normalised) > 254 or not EMAIL_RE.match(normalised):
        raise ValidationFailed(
            "The email address is not valid.",
            errors=[
                FieldError(
                    pointer,
                    "Not a valid email address. Keine gültige E-Mail-Adresse.",
                )
            ],
        )
    return normalised


def checked_password(password: str, email: str | None, pointer: str = "/password") -> None:
    problems = password_problems(password, email=email, pointer=pointer)
    if problems:
        raise ValidationFailed("The password does not meet the policy.", errors=problems)


def checked_departments(departments: Iterable[str], pointer: str = "/departments") -> list[str]:
    result = sorted(set(departments))
    for index, department in enumerate(result):
        if not DEPARTMENT_RE.match(department):
            raise ValidationFailed(
                "A department code is not valid.",
                errors=[
                    FieldError(
                        f"{pointer}/{index}",
                        "Department codes are lower-case letters, digits, '-' or '_'. "
                        "Abteilungskürzel bestehen aus Kleinbuchstaben, Ziffern, '-' oder '_'.",
                    )
                ],
            )
    return result


def checked_staff_roles(roles: Iterable[str], departments: Sequence[str]) -> list[str]:
    result = sorted(set(roles))
    if not result or not set(result) <= STAFF_ROLES:
        raise ValidationFailed(
            "Staff roles are clerk, supervisor and admin.",
            errors=[
                FieldError(
                    "/roles",
                    "Choose clerk, supervisor or admin. "
                    "Wählen Sie Sachbearbeitung (clerk), Leitung (supervisor) oder admin.",
                )
            ],
        )
    if not departments and set(result) & {"clerk", "supervisor"}:
        raise ValidationFailed(
            "Clerks and supervisors need at least one department.",
            errors=[
                FieldError(
                    "/departments",
                    "At least one department is required. Mindestens eine Abteilung angeben.",
                )
            ],
        )
    return result


def principal_for_user(row: UserRow) -> Principal:
    """The principal of an account, as tokens carry it."""
    return Principal(
        kind="staff" if row.kind == "staff" else "citizen",
        id=row.id,
        roles=frozenset(row.roles),
        departments=frozenset(row.departments) if row.kind == "staff" else frozenset(),
        email=row.email,
        display_name=row.display_name,
        email_verified=row.email_verified_at is not None,
        locale=row.locale,
    )


def principal_for_client(row: ApiClientRow) -> Principal:
    return Principal(
        kind="client",
        id=row.id,
        scopes=frozenset(row.scopes),
        services=None if row.services is None else frozenset(row.services),
        display_name=row.name,
    )


async def create_citizen(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    display_name: str,
    locale: str = "de",
    verified: bool = False,
) -> UserRow:
    """A citizen account (email unique, case-insensitive); 409 if the email is taken."""
    normalised = checked_email(email)
    checked_password(password, normalised)
    row = await repository.insert_user(
        session,
        {
            "id": uuid.uuid4(),
            "kind": "citizen",
            "email": normalised,
            "password_hash": hash_secret(settings, password),
            "display_name": display_name.strip() or normalised,
            "locale": locale,
            "roles": ["citizen"],
            "departments": [],
            "email_verified_at": datetime.now(UTC) if verified else None,
        },
    )
    if row is None:
        raise Conflict("An account with this email address already exists.")
    return row


async def create_staff(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    roles: Iterable[str],
    departments: Iterable[str],
    display_name: str | None = None,
    locale: str = "de",
) -> UserRow:
    """A staff account with roles scoped to departments; 409 if the email is taken."""
    normalised = checked_email(email)
    checked_password(password, normalised)
    department_list = checked_departments(departments)
    role_list = checked_staff_roles(roles, department_list)
    row = await repository.insert_user(
        session,
        {
            "id": uuid.uuid4(),
            "kind": "staff",
            "email": normalised,
            "password_hash": hash_secret(settings, password),
            "display_name": (display_name or "").strip() or normalised,
            "locale": locale,
            "roles": role_list,
            "departments": department_list,
            "email_verified_at": datetime.now(UTC),
        },
    )
    if row is None:
        raise Conflict("An account with this email address already exists.")
    return row


def checked_scopes(scopes: Iterable[str], pointer: str = "/scopes") -> list[str]:
    given = list(scopes)
    result = sorted(set(given))
    if not result:
        raise ValidationFailed(
            "A client needs at least one scope.",
            errors=[FieldError(pointer, "At least one scope is required. Mindestens ein Scope.")],
        )
    for index, scope in enumerate(given):  # the pointer names the scope where it was given
        if not SCOPE_RE.match(scope) or len(scope) > 64:
            raise ValidationFailed(
                "A scope is not valid.",
                errors=[
                    FieldError(
                        json_pointer([index], pointer),
                        f"Scopes look like '{Scope.REQUESTS_READ}'. "
                        f"Scopes haben die Form '{Scope.REQUESTS_READ}'.",
                    )
                ],
            )
    return result


def checked_services(services: Iterable[str] | None) -> list[str] | None:
    if services is None:
        return None
    given = list(services)
    for index, code in enumerate(given):  # the pointer names the code where it was given
        if not SERVICE_CODE_RE.match(code):
            raise ValidationFailed(
                "A service code is not valid.",
                errors=[
                    FieldError(
                        json_pointer([index], "/services"),
                        "Not a service code. Kein Leistungskürzel.",
                    )
                ],
            )
    return sorted(set(given))


async def create_api_client(
    session: AsyncSession,
    settings: Settings,
    *,
    name: str,
    scopes: Iterable[str],
    services: Iterable[str] | None = None,
) -> tuple[ApiClientRow, str]:
    """A new API client and its secret (shown once; only the hash is stored)."""
    scope_list = checked_scopes(scopes)
    service_list = checked_services(services)
    secret = CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    row = await repository.insert_client(
        session,
        {
            "id": uuid.uuid4(),
            "client_id": CLIENT_ID_PREFIX + secrets.token_hex(12),
            "secret_hash": hash_secret(settings, secret),
            "name": name.strip(),
            "scopes": scope_list,
            "services": service_list,
        },
    )
    return row, secret


OPEN311_KEY_PREFIX = "o311_"


async def issue_open311_key(session: AsyncSession, client: ApiClientRow) -> str:
    """A new Open311 ``api_key`` for ``client`` (shown once; only its SHA-256 is stored).

    Open311 clients post the key in a form with every filing, so it is a separate secret from
    the OAuth client secret: leaking it exposes no more than filing as that client.
    """
    key = new_opaque_token(OPEN311_KEY_PREFIX)
    await repository.set_open311_key_hash(session, client.id, opaque_token_hash(key))
    return key


async def principal_for_open311_key(session: AsyncSession, key: str) -> Principal | None:
    """The active API client an Open311 ``api_key`` belongs to, else None."""
    if not key.startswith(OPEN311_KEY_PREFIX) or len(key) > 128:
        return None
    row = await repository.get_client_by_open311_key(session, opaque_token_hash(key))
    if row is None or not row.is_active:
        return None
    return principal_for_client(row)


async def check_password(
    session: AsyncSession, settings: Settings, username: str, password: str
) -> UserRow | None:
    """The active local account these credentials open, else None (same cost either way).

    A hash made with older Argon2 parameters is replaced by one with the current ones.
    """
    if len(username) > 254 or len(password) > 1024:
        verify_secret(settings, None, password[:1024])
        return None
    row = await repository.get_local_user_by_email(session, normalise_email(username))
    stored = row.password_hash if row is not None else None
    if not verify_secret(settings, stored, password) or row is None or stored is None:
        return None
    if not row.is_active:
        return None
    if needs_rehash(settings, stored):
        await repository.set_password_hash(session, row.id, hash_secret(settings, password))
    return row


async def check_client(
    session: AsyncSession, settings: Settings, client_id: str, client_secret: str
) -> ApiClientRow | None:
    """The active API client these credentials open, else None (same cost either way)."""
    if len(client_id) > 64 or len(client_secret) > 256:
        verify_secret(settings, None, client_secret[:256])
        return None
    row = await repository.get_client_by_client_id(session, client_id)
    stored = row.secret_hash if row is not None else None
    if not verify_secret(settings, stored, client_secret) or row is None:
        return None
    if not row.is_active:
        return None
    if needs_rehash(settings, row.secret_hash):
        await repository.set_client_secret_hash(
            session, row.id, hash_secret(settings, client_secret)
        )
    return row
