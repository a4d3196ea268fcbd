"""Pytest plugin: callers with valid access tokens, made directly through the identity service.

Fixtures: ``make_citizen``, ``make_staff``, ``make_api_client`` (async factories) and the
ready-made verified citizens ``citizen`` and ``other_citizen``.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.core.transaction import transaction
from eservice.identity import service
from eservice.identity.principal import Principal
from eservice.identity.tokens import issue_access_token

TEST_PASSWORD = "correct horse battery staple"


@dataclass
class Caller:
    """Someone who calls the API: ids, a ready ``Authorization`` header, and the principal."""

    id: UUID
    email: str | None
    headers: dict[str, str]
    principal: Principal
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _headers(settings: Settings, principal: Principal) -> dict[str, str]:
    token, _ = issue_access_token(settings, principal)
    return {"Authorization": f"Bearer {token}"}


def _unique_email(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}@example.org"


MakeCitizen = Callable[..., Awaitable[Caller]]
MakeStaff = Callable[..., Awaitable[Caller]]
MakeApiClient = Callable[..., Awaitable[Caller]]


@pytest.fixture
def make_citizen(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> MakeCitizen:
    async def make(
        email: str | None = None, *, verified: bool = True, locale: str = "de"
    ) -> Caller:
        async with transaction(sessionmaker) as session:
            row = await service.create_citizen(
                session,
                settings,
                email=email or _unique_email("citizen"),
                password=TEST_PASSWORD,
                display_name="Erika Mustermann",
                locale=locale,
                verified=verified,
            )
        principal = service.principal_for_user(row)
        return Caller(
            id=row.id,
            email=row.email,
            headers=_headers(settings, principal),
            principal=principal,
            password=TEST_PASSWORD,
        )

    return make


@pytest.fixture
def make_staff(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> MakeStaff:
    async def make(
        role: str = "clerk", departments: Sequence[str] = ("verkehr",), email: str | None = None
    ) -> Caller:
        async with transaction(sessionmaker) as session:
            row = await service.create_staff(
                session,
                settings,
                email=email or _unique_email(role),
                password=TEST_PASSWORD,
                roles=[role],
                departments=departments,
                display_name=f"Test {role}",
            )
        principal = service.principal_for_user(row)
        return Caller(
            id=row.id,
            email=row.email,
            headers=_headers(settings, principal),
            principal=principal,
            password=TEST_PASSWORD,
        )

    return make


@pytest.fixture
def make_api_client(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> MakeApiClient:
    async def make(scopes: Sequence[str], services: Sequence[str] | None = None) -> Caller:
        async with transaction(sessionmaker) as session:
            row, secret = await service.create_api_client(
                session,
                settings,
                name="Test integration",
                scopes=scopes,
                services=services,
            )
            api_key = await service.issue_open311_key(session, row)
        principal = service.principal_for_client(row)
        return Caller(
            id=row.id,
            email=None,
            headers=_headers(settings, principal),
            principal=principal,
            client_id=row.client_id,
            client_secret=secret,
            extra={"api_key": api_key},
        )

    return make


@pytest.fixture
async def citizen(make_citizen: MakeCitizen) -> Caller:
    return await make_citizen()


@pytest.fixture
async def other_citizen(make_citizen: MakeCitizen) -> Caller:
    return await make_citizen()
