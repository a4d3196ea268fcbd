"""App-wide dependencies: ``principal`` (401 without a valid token) and ``optional_principal``."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.core.errors import Unauthorized
from eservice.identity import oidc
from eservice.identity.keys import key_set
from eservice.identity.principal import Principal
from eservice.identity.tokens import (
    ACCESS_TOKEN_TYPE,
    recently_verified,
    unverified_header,
    unverified_issuer,
    verify_access_token,
)


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """The token of an ``Authorization: Bearer`` header; None without one, 401 if malformed.

    Read from the raw ASGI headers (names arrive lower-cased): building the request's header
    mapping only for this cost more than the rest of a cached token's check.
    """
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            header = value.decode("latin-1")
            break
    else:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized()
    return token


async def authenticate_token(
    request: Request[Any, Any, Any], settings: Settings, token: str
) -> Principal:
    """Who a bearer token speaks for: one of our access tokens, or a configured IdP's."""
    keys = key_set(settings)
    known = recently_verified(settings, keys, token)
    if known is not None:
        return known
    header = unverified_header(token)
    if header.get("typ") == ACCESS_TOKEN_TYPE and keys.find(header.get("kid")) is not None:
        return verify_access_token(settings, token, keys)
    issuer = unverified_issuer(token)
    registry = oidc.registry(request.app.state, settings)
    provider = registry.provider_for(issuer) if issuer is not None else None
    if provider is None:
        raise Unauthorized()
    return await oidc.principal_for_external_token(request.app.state, provider, token)


async def provide_principal(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],  # orders the chain (core.deps)
) -> Principal:
    """The authenticated caller; 401 when the bearer token is missing or invalid."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized()
    return await authenticate_token(request, settings, token)


async def provide_optional_principal(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],  # orders the chain (core.deps)
) -> Principal | None:
    """The caller if a token is presented (401 if it is invalid), else None."""
    token = bearer_token(request)
    if token is None:
        return None
    return await authenticate_token(request, settings, token)
