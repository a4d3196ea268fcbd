"""Admin API for staff accounts and API clients (``/api/v1/admin/...``, admin role)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from litestar import Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.deps import AnyRequest, app_settings
from eservice.core.idempotency import (
    IdempotencyKeyHeader,
    Produced,
    caller_key,
    fingerprint,
    idempotent,
)
from eservice.core.pagination import Cursor, Limit, Page
from eservice.identity import admin
from eservice.identity.authentication import CALLER, caller
from eservice.identity.guards import require_admin
from eservice.identity.schemas import (
    AccountOut,
    ClientCreatedOut,
    ClientCreateIn,
    ClientOut,
    StaffCreateIn,
    StaffUpdateIn,
)

TAGS = ["admin"]
Session = NamedDependency[AsyncSession]
PathId = FromPath[UUID]


@post(
    "/api/v1/admin/users", tags=TAGS, summary="Create a staff account", status_code=201, opt=CALLER
)
async def create_staff(
    data: JSONBody[StaffCreateIn],
    request: AnyRequest,
    db_session: Session,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    principal = caller(request)
    settings = app_settings(request)
    require_admin(principal)

    async def produce() -> Produced:
        return Produced(
            HTTP_201_CREATED, await admin.create_staff(db_session, settings, data, principal.id)
        )

    # The password stays out of the stored fingerprint.
    asked = {"email": data.email, "roles": data.roles, "departments": data.departments}
    return await idempotent(
        db_session,
        caller=caller_key(principal.kind, principal.id),
        key=idempotency_key,
        fingerprint=fingerprint("POST", "/api/v1/admin/users", asked),
        produce=produce,
    )


@get("/api/v1/admin/users", tags=TAGS, summary="List accounts", opt=CALLER)
async def list_users(
    request: AnyRequest,
    db_session: Session,
    kind: FromQuery[Literal["staff", "citizen"]] = "staff",
    limit: Limit = None,
    cursor: Cursor = None,
) -> Page[AccountOut]:
    principal = caller(request)
    require_admin(principal)
    return await admin.list_accounts(db_session, kind, limit, cursor)


@get("/api/v1/admin/users/{user_id:uuid}", tags=TAGS, summary="One account", opt=CALLER)
async def get_user(user_id: PathId, request: AnyRequest, db_session: Session) -> AccountOut:
    principal = caller(request)
    require_admin(principal)
    return await admin.get_account(db_session, user_id)


@patch(
    "/api/v1/admin/users/{user_id:uuid}",
    tags=TAGS,
    summary="Change an account",
    description=(
        "Clerks and supervisors need at least one department: a change that would leave one "
        "without (given the account's current roles and departments) answers 422 at "
        "/departments."
    ),
    opt=CALLER,
)
async def update_user(
    user_id: PathId, data: JSONBody[StaffUpdateIn], request: AnyRequest, db_session: Session
) -> AccountOut:
    principal = caller(request)
    require_admin(principal)
    return await admin.update_account(db_session, user_id, data, principal.id)


@post(
    "/api/v1/admin/clients", tags=TAGS, summary="Create an API client", status_code=201, opt=CALLER
)
async def create_client(
    data: JSONBody[ClientCreateIn],
    request: AnyRequest,
    db_session: Session,
) -> Response[ClientCreatedOut]:
    principal = caller(request)
    settings = app_settings(request)
    require_admin(principal)
    # No Idempotency-Key replay here: the answer holds the secret, which is never stored.
    created = await admin.create_client(db_session, settings, data, principal.id)
    return Response(created, status_code=HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


@get("/api/v1/admin/clients", tags=TAGS, summary="List API clients", opt=CALLER)
async def list_clients(
    request: AnyRequest,
    db_session: Session,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Page[ClientOut]:
    principal = caller(request)
    require_admin(principal)
    return await admin.list_clients(db_session, limit, cursor)


@delete(
    "/api/v1/admin/clients/{client_row_id:uuid}",
    tags=TAGS,
    summary="Deactivate an API client",
    status_code=HTTP_204_NO_CONTENT,
    opt=CALLER,
)
async def deactivate_client(
    client_row_id: PathId, request: AnyRequest, db_session: Session
) -> None:
    principal = caller(request)
    require_admin(principal)
    await admin.deactivate_client(db_session, client_row_id, principal.id)


admin_routes = [
    create_staff,
    list_users,
    get_user,
    update_user,
    create_client,
    list_clients,
    deactivate_client,
]
