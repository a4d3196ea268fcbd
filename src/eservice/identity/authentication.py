"""Who is calling: the bearer token, verified once per request, before anything else is read.

A route that needs to know its caller says so in its ``opt``: ``CALLER`` (401 without a valid
token) or ``OPTIONAL_CALLER`` (anonymous without a token, 401 with an invalid one). The app's
``before_request`` hook, ``authenticate``, verifies the token of such a route and puts the
principal where Litestar keeps a connection's user (``request.user``); the handler takes it
with ``caller(request)`` or ``optional_caller(request)``. Routes without either ignore the
``Authorization`` header, as public endpoints should.

Why a hook and not a dependency, a middleware or a guard: a dependency would sit beside the
request's ``db_session`` on one level, which Litestar resolves in a task group (bench/README.md,
"Dependency resolution"); an error raised in a middleware is rendered outside the route, past
the request-context middleware (no request id, counted as a 500); a guard is handed a copy of
its route handler on every call. The hook runs inside the route's error handling and before
Litestar reads parameters, body or dependencies, so an unauthenticated caller gets its 401
before any 400 about what it sent.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State

from eservice.core.config import Settings
from eservice.core.deps import app_settings
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

OPT_KEY: Final = "caller"
REQUIRED: Final = "required"
OPTIONAL: Final = "optional"
CALLER: Final = {OPT_KEY: REQUIRED}
"""``opt`` of a route for authenticated callers only (401 without a valid bearer token)."""
OPTIONAL_CALLER: Final = {OPT_KEY: OPTIONAL}
"""``opt`` of a route open to anyone that also knows who presents a token (401 if invalid)."""

AnyConnection = ASGIConnection[Any, Any, Any, Any]


def bearer_token(connection: AnyConnection) -> str | None:
    """The token of an ``Authorization: Bearer`` header; None without one, 401 if malformed.

    Read from the raw ASGI headers (names arrive lower-cased): building the request's header
    mapping only for this cost more than the rest of a cached token's check.
    """
    for name, value in connection.scope["headers"]:
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


async def authenticate_token(state: State, settings: Settings, token: str) -> Principal:
    """Who a bearer token speaks for: one of our access tokens, or a configured IdP's."""
    keys = key_set(settings)
    known = recently_verified(settings, keys, token)
    if known is not None:
        return known
    header = unverified_header(token)
    if header.get("typ") == ACCESS_TOKEN_TYPE and keys.find(header.get("kid")) is not None:
        return verify_access_token(settings, token, keys)
    issuer = unverified_issuer(token)
    registry = oidc.registry(state, settings)
    provider = registry.provider_for(issuer) if issuer is not None else None
    if provider is None:
        raise Unauthorized()
    return await oidc.principal_for_external_token(state, provider, token)


async def authenticate(request: Request[Any, Any, Any]) -> None:
    """The app's ``before_request`` hook: the caller of a ``CALLER``/``OPTIONAL_CALLER`` route.

    Sets ``request.user`` to the principal (None for an anonymous caller of an optional
    route); 401 for an invalid token, or for no token where one is required.
    """
    wanted = request.route_handler.opt.get(OPT_KEY)
    if wanted is None:
        return
    token = bearer_token(request)
    if token is None:
        if wanted == REQUIRED:
            raise Unauthorized()
        principal = None
    else:
        principal = await authenticate_token(request.app.state, app_settings(request), token)
    request.scope["user"] = principal


def caller(connection: AnyConnection) -> Principal:
    """The authenticated caller of a route declared with ``opt=CALLER``."""
    principal = optional_caller(connection)
    if principal is None:
        raise Unauthorized()
    return principal


def optional_caller(connection: AnyConnection) -> Principal | None:
    """The caller of a route declared with ``opt=OPTIONAL_CALLER``; None if anonymous.

    Litestar raises ImproperlyConfiguredException (a 500) if the route declared neither:
    a missing declaration fails loudly instead of treating everyone as anonymous.
    """
    principal: Principal | None = connection.user
    return principal
