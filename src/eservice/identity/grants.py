"""The token endpoint's grants (RFC 6749), refresh token rotation and revocation (RFC 7009)."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import unquote
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.identity import repository, service, throttle
from eservice.identity.schemas import TokenOut
from eservice.identity.tables import UserRow
from eservice.identity.tokens import issue_access_token, new_opaque_token, opaque_token_hash

T = TypeVar("T")

REFRESH_TOKEN_PREFIX = "rt_"  # noqa: S105 - a prefix, not a secret
MAX_FIELD_LENGTH = 2048


class OAuthError(Exception):
    """An RFC 6749 §5.2 error (``invalid_grant``, ``invalid_client``, ...)."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = dict(headers or {})


def _field(form: Mapping[str, str], name: str, *, required: bool = True) -> str | None:
    value = form.get(name)
    if value is None or value == "":
        if required:
            raise OAuthError("invalid_request", f"The parameter {name!r} is missing.")
        return None
    if len(value) > MAX_FIELD_LENGTH:
        raise OAuthError("invalid_request", f"The parameter {name!r} is too long.")
    return value


async def checked_with_throttle(
    session: AsyncSession,
    settings: Settings,
    subject: str,
    check: Callable[[], Awaitable[T | None]],
) -> T | None:
    """Run the credential ``check`` unless ``subject`` is blocked (``throttle.Throttled``);
    count its outcome. None when the credentials are wrong."""
    await throttle.check_not_blocked(session, subject)
    row = await check()  # only when not blocked: the credentials are not even looked at
    if row is None:
        await throttle.record_failure(session, settings, subject)
        return None
    await throttle.record_success(session, subject)
    return row


async def _throttled_check(
    session: AsyncSession,
    settings: Settings,
    subject: str,
    check: Callable[[], Awaitable[T | None]],
    refused: OAuthError,
) -> T:
    """:func:`checked_with_throttle` in the token endpoint's terms (429 slow_down, ``refused``)."""
    try:
        row = await checked_with_throttle(session, settings, subject, check)
    except throttle.Throttled as exc:
        raise OAuthError(
            "slow_down",
            "Too many failed attempts. Please wait before trying again.",
            status=429,
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    if row is None:
        raise refused
    return row


async def issue_refresh_token(
    session: AsyncSession, settings: Settings, user_id: UUID, family_id: UUID | None = None
) -> str:
    """A new refresh token for the account (a new family unless one is continued)."""
    token = new_opaque_token(REFRESH_TOKEN_PREFIX)
    await repository.insert_refresh_token(
        session,
        row_id=uuid.uuid4(),
        token_hash=opaque_token_hash(token),
        family_id=family_id or uuid.uuid4(),
        user_id=user_id,
        expires_at=datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl),
    )
    return token


async def check_login(
    session: AsyncSession, settings: Settings, username: str, password: str
) -> UserRow | None:
    """The account for a login name and password, throttled per name (the token endpoint's
    password grant and the web front's login form both use this); None when wrong.

    Raises ``throttle.Throttled`` while the name is blocked.
    """
    return await checked_with_throttle(
        session,
        settings,
        throttle.subject_key("login", username),
        lambda: service.check_password(session, settings, username, password),
    )


async def password_grant(
    session: AsyncSession, settings: Settings, form: Mapping[str, str]
) -> TokenOut:
    username = _field(form, "username") or ""
    password = _field(form, "password") or ""
    row = await _throttled_check(
        session,
        settings,
        throttle.subject_key("login", username),
        lambda: service.check_password(session, settings, username, password),
        OAuthError("invalid_grant", "The username or password is wrong."),
    )
    principal = service.principal_for_user(row)
    access, ttl = issue_access_token(settings, principal)
    refresh = await issue_refresh_token(session, settings, row.id)
    return TokenOut(access_token=access, expires_in=ttl, refresh_token=refresh)


async def refresh_grant(
    session: AsyncSession, settings: Settings, form: Mapping[str, str]
) -> TokenOut:
    """Rotate: the presented token is used up; presenting a used one revokes its family."""
    presented = _field(form, "refresh_token") or ""
    token_hash = opaque_token_hash(presented)
    current = await repository.consume_refresh_token(session, token_hash)
    if current is None:
        known = await repository.find_refresh_token(session, token_hash)
        if known is not None and known.used_at is not None:
            await repository.revoke_family(session, known.family_id)
        raise OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked.")
    row = await repository.get_user(session, current.user_id)
    if row is None or not row.is_active:
        await repository.revoke_family(session, current.family_id)
        raise OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked.")
    principal = service.principal_for_user(row)
    access, ttl = issue_access_token(settings, principal)
    refresh = await issue_refresh_token(session, settings, row.id, current.family_id)
    return TokenOut(access_token=access, expires_in=ttl, refresh_token=refresh)


def client_credentials_from(form: Mapping[str, str], authorization: str | None) -> tuple[str, str]:
    """Client id and secret from HTTP Basic (RFC 6749 §2.3.1) or the form body."""
    if authorization and authorization.lower().startswith("basic "):
        try:
            raw = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(
                "invalid_client",
                "Client authentication failed.",
                status=401,
                headers={"WWW-Authenticate": 'Basic realm="eservice"'},
            ) from None
        client_id, sep, secret = raw.partition(":")
        if sep and client_id and secret:
            return unquote(client_id), unquote(secret)
    form_id = _field(form, "client_id", required=False)
    form_secret = _field(form, "client_secret", required=False)
    if not form_id or not form_secret:
        raise OAuthError("invalid_client", "Client authentication failed.", status=401)
    return form_id, form_secret


async def client_credentials_grant(
    session: AsyncSession,
    settings: Settings,
    form: Mapping[str, str],
    authorization: str | None,
) -> TokenOut:
    client_id, secret = client_credentials_from(form, authorization)
    row = await _throttled_check(
        session,
        settings,
        throttle.subject_key("client", client_id),
        lambda: service.check_client(session, settings, client_id, secret),
        OAuthError("invalid_client", "Client authentication failed.", status=401),
    )
    principal = service.principal_for_client(row)
    requested = _field(form, "scope", required=False)
    if requested is not None:
        wanted = frozenset(requested.split())
        if not wanted or not wanted <= principal.scopes:
            raise OAuthError("invalid_scope", "The requested scope exceeds the client's scopes.")
        principal = msgspec.structs.replace(principal, scopes=wanted)
    access, ttl = issue_access_token(settings, principal)
    return TokenOut(access_token=access, expires_in=ttl, scope=" ".join(sorted(principal.scopes)))


async def exchange(
    session: AsyncSession,
    settings: Settings,
    form: Mapping[str, str],
    *,
    authorization: str | None,
) -> TokenOut:
    """Answer one token request; OAuthError for anything the client must fix."""
    grant_type = _field(form, "grant_type")
    if grant_type == "password":
        return await password_grant(session, settings, form)
    if grant_type == "refresh_token":
        return await refresh_grant(session, settings, form)
    if grant_type == "client_credentials":
        return await client_credentials_grant(session, settings, form, authorization)
    raise OAuthError("unsupported_grant_type", "Use password, refresh_token or client_credentials.")


async def revoke(session: AsyncSession, token: str | None) -> None:
    """RFC 7009: revoke a refresh token (and its family); unknown tokens are ignored."""
    if not token or len(token) > MAX_FIELD_LENGTH:
        return
    known = await repository.find_refresh_token(session, opaque_token_hash(token))
    if known is not None:
        await repository.revoke_family(session, known.family_id)
