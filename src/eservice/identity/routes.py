"""Public identity endpoints: register, token, revoke, verify-email, password reset, me, JWKS."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.deps import AnyRequest, app_settings
from eservice.core.idempotency import (
    IdempotencyKeyHeader,
    Produced,
    caller_key,
    fingerprint,
    idempotent,
)
from eservice.identity import grants, recovery
from eservice.identity.admin_routes import admin_routes
from eservice.identity.authentication import CALLER, caller
from eservice.identity.keys import key_set
from eservice.identity.me import account_of, describe, update_own_account
from eservice.identity.oauth_http import (
    NO_STORE,
    oauth_error_response,
    read_token_form,
)
from eservice.identity.oauth_openapi import RevokeOperation, TokenOperation
from eservice.identity.schemas import (
    AccountOut,
    AccountPatchIn,
    ClientMeOut,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RegisterIn,
    StatusOut,
    TokenOut,
    VerifyEmailIn,
)

TAGS = ["identity"]


@post("/api/v1/auth/register", tags=TAGS, summary="Register a citizen account", status_code=201)
async def register(
    data: JSONBody[RegisterIn],
    db_session: NamedDependency[AsyncSession],
    request: AnyRequest,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    settings = app_settings(request)

    async def produce() -> Produced:
        row = await recovery.register(db_session, settings, data)
        return Produced(HTTP_201_CREATED, account_of(row))

    # Keys are scoped per email; the password stays out of the stored fingerprint.
    return await idempotent(
        db_session,
        caller=caller_key("register", data.email.strip().lower()),
        key=idempotency_key,
        fingerprint=fingerprint(
            "POST", "/api/v1/auth/register", {"email": data.email, "name": data.display_name}
        ),
        produce=produce,
    )


@post(
    "/api/v1/auth/token",
    tags=TAGS,
    summary="OAuth 2.0 token endpoint (password, refresh_token, client_credentials)",
    status_code=200,
    operation_class=TokenOperation,
)
async def token(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
) -> Response[Any]:
    settings = app_settings(request)
    try:
        form = await read_token_form(request)
        result = await grants.exchange(
            db_session,
            settings,
            form,
            authorization=request.headers.get("authorization"),
        )
    except grants.OAuthError as exc:
        # Failures are answered, not raised, so that throttle counters and a revoked
        # refresh token family are committed with this request's transaction.
        return oauth_error_response(exc)
    return Response[TokenOut](result, status_code=HTTP_200_OK, headers=NO_STORE)


@post(
    "/api/v1/auth/revoke",
    tags=TAGS,
    summary="Revoke a refresh token (RFC 7009)",
    status_code=200,
    operation_class=RevokeOperation,
)
async def revoke(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Response[Any]:
    try:
        form = await read_token_form(request)
    except grants.OAuthError as exc:
        return oauth_error_response(exc)
    await grants.revoke(db_session, form.get("token"))
    return Response(StatusOut(status="ok"), status_code=HTTP_200_OK, headers=NO_STORE)


@post("/api/v1/auth/verify-email", tags=TAGS, summary="Confirm an email address", status_code=200)
async def verify_email(
    data: JSONBody[VerifyEmailIn], db_session: NamedDependency[AsyncSession]
) -> StatusOut:
    await recovery.verify_email(db_session, data.token)
    return StatusOut(status="verified")


@post(
    "/api/v1/auth/password-reset",
    tags=TAGS,
    summary="Email a password reset link (always 202)",
    status_code=HTTP_202_ACCEPTED,
)
async def password_reset(
    data: JSONBody[PasswordResetIn],
    db_session: NamedDependency[AsyncSession],
    request: AnyRequest,
) -> StatusOut:
    settings = app_settings(request)
    await recovery.request_password_reset(db_session, settings, data.email)
    return StatusOut(
        status="accepted",
        detail="If an account exists for this address, a reset link is on its way.",
    )


@post(
    "/api/v1/auth/password-reset/confirm",
    tags=TAGS,
    summary="Set a new password with the emailed token",
    status_code=200,
)
async def password_reset_confirm(
    data: JSONBody[PasswordResetConfirmIn],
    db_session: NamedDependency[AsyncSession],
    request: AnyRequest,
) -> StatusOut:
    settings = app_settings(request)
    await recovery.confirm_password_reset(db_session, settings, data)
    return StatusOut(status="password_changed")


@get("/api/v1/me", tags=TAGS, summary="Who am I", opt=CALLER)
async def me(
    request: AnyRequest, db_session: NamedDependency[AsyncSession]
) -> AccountOut | ClientMeOut:
    principal = caller(request)
    return await describe(db_session, principal)


@patch(
    "/api/v1/me", tags=TAGS, summary="Correct my name, language or email (re-verified)", opt=CALLER
)
async def change_me(
    data: JSONBody[AccountPatchIn],
    request: AnyRequest,
    db_session: NamedDependency[AsyncSession],
) -> AccountOut:
    principal = caller(request)
    return await update_own_account(db_session, principal, data)


@get("/.well-known/jwks.json", tags=TAGS, summary="Public token signing keys", sync_to_thread=False)
def jwks(request: AnyRequest) -> Response[dict[str, list[dict[str, Any]]]]:
    settings = app_settings(request)
    return Response(
        key_set(settings).jwks(),
        headers={"Cache-Control": "public, max-age=300"},
        media_type="application/json",
    )


routes = [
    register,
    token,
    revoke,
    verify_email,
    password_reset,
    password_reset_confirm,
    me,
    change_me,
    jwks,
    *admin_routes,
]
